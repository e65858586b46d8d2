"""Wall pages as sites serve them (consent, paywall, bot challenges, sign-in, soft 404), and real
articles that only talk about such things."""

from __future__ import annotations

ARTICLE_TITLE = "Harbour bridge to close for repairs next spring"
ARTICLE = (
    "The council voted on Tuesday to close the old harbour bridge for repairs next spring, "
    "after engineers found corrosion in two of the steel supports under the eastern span.",
    "Engineers said the work would take at least four months and cost about 2 million euros, "
    "paid for from the regional transport fund and a loan the council approved last year.",
    "A ferry will run every twenty minutes while the bridge is closed, and buses will be "
    "diverted over the northern crossing, adding about a quarter of an hour to most trips.",
    "Shop owners on the quay said they feared a quiet summer, but the mayor promised a "
    "small grant for businesses that lose trade while the crossing is shut to traffic.",
    "The bridge, opened in 1912, carries about 14,000 vehicles a day and was last repaired "
    "in 1987, when one lane stayed open; this time both lanes will close for safety.",
    "Work is due to start in March. The council will publish a detailed timetable next "
    "month and hold two public meetings so that residents can ask questions about it.",
)


def article(
    title: str = ARTICLE_TITLE, paragraphs: tuple[str, ...] = ARTICLE, extra: str = ""
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><title>{title} | The Harbour Times</title>"
        f'<meta property="og:title" content="{title}"></head><body>'
        '<header><a href="/">The Harbour Times</a></header>'
        f"<main><article><h1>{title}</h1>{body}</article></main>{extra}"
        "<footer>© The Harbour Times</footer></body></html>"
    )


def _shell(title: str, body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html lang='en-US'><head><meta charset='UTF-8'><title>{title}</title>"
        f"{head}</head><body>{body}</body></html>"
    )


# (name, page, kind the wall is recognised as)
WALLS: list[tuple[str, str, str]] = [
    (
        "cloudflare-just-a-moment",
        _shell(
            "Just a moment...",
            '<div class="main-wrapper" role="main"><div class="main-content">'
            '<h1 class="zone-name-title h1">harbourtimes.example</h1>'
            '<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>'
            '<div id="challenge-stage"></div><div id="challenge-body-text" class="core-msg spacer">'
            "harbourtimes.example needs to review the security of your connection before "
            'proceeding.</div><noscript><div id="challenge-error-title">Enable JavaScript and '
            "cookies to continue</div></noscript></div></div>"
            "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'harbourtimes.example',"
            "cType: 'managed',cRay: '8a1b2c3d4e5f6a7b'};var cpo=document.createElement('script');"
            "cpo.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8a1b';"
            "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>",
            '<meta name="robots" content="noindex,nofollow">',
        ),
        "challenge",
    ),
    (
        "cloudflare-attention-required",
        _shell(
            "Attention Required! | Cloudflare",
            '<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">'
            '<h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
            "<h2>You are unable to access harbourtimes.example</h2>"
            "<p>This website is using a security service to protect itself from online "
            "attacks.</p><p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f6a7b</strong></p></div></div>",
        ),
        "challenge",
    ),
    (
        "cloudflare-turnstile-no-title",
        _shell(
            "harbourtimes.example",
            "<p>Verifying you are human. This may take a few seconds.</p>"
            '<form id="challenge-form" action="/story?__cf_chl_f_tk=abc" method="POST">'
            '<input type="hidden" name="md" value="x"></form>'
            '<div class="cf-turnstile" data-sitekey="0x4AAA"></div>',
        ),
        "challenge",
    ),
    (
        "datadome",
        _shell(
            "harbourtimes.example",
            '<p style="display:none">Please enable JS and disable any ad blocker</p>'
            "<script>var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'2211F522','t':'bv',"
            "'s':17434,'host':'geo.captcha-delivery.com'}</script>"
            '<script src="https://ct.captcha-delivery.com/c.js"></script>',
        ),
        "challenge",
    ),
    (
        "akamai-access-denied",
        _shell(
            "Access Denied",
            "<H1>Access Denied</H1>You don't have permission to access "
            '"http&#58;&#47;&#47;harbourtimes&#46;example&#47;story" on this server.<P>'
            "Reference&#32;&#35;18&#46;5e3c1002&#46;1700000000&#46;1a2b3c4d<P>"
            "https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;5e3c1002</P>",
        ),
        "challenge",
    ),
    (
        "perimeterx-press-and-hold",
        _shell(
            "Access to this page has been denied",
            "<h1>Before we continue...</h1><p>Press &amp; Hold to confirm you are a human "
            '(and not a bot).</p><div id="px-captcha"></div>'
            "<script>window._pxAppId = 'PXabc123';</script>",
        ),
        "challenge",
    ),
    (
        "imperva",
        _shell(
            "Request unsuccessful. Incapsula incident ID: 1234000560123456789-12345678",
            "<iframe src='/_Incapsula_Resource?CWUDNSAI=9&xinfo=1' frameborder=0 width=100% "
            "height=100%>Request unsuccessful. Incapsula incident ID: 1234-5678</iframe>",
        ),
        "challenge",
    ),
    (
        "enable-javascript-spa",
        _shell(
            "The Harbour Times",
            "<noscript>You need to enable JavaScript to run this app.</noscript>"
            '<div id="root"></div><script src="/static/js/main.4f8a2c.js"></script>',
        ),
        "javascript",
    ),
    (
        "enable-javascript-plain",
        _shell(
            "The Harbour Times",
            "<div class='nojs'><p>Please enable JavaScript to view this article.</p></div>"
            '<div id="app" data-article-id="8812"></div>',
        ),
        "javascript",
    ),
    (
        "google-consent",
        _shell(
            "Before you continue",
            '<div><form action="https://consent.google.com/save" method="POST">'
            "<p>We use cookies and data to deliver and maintain services, measure audience "
            "engagement and improve the quality of our services.</p>"
            "<button>Reject all</button><button>Accept all</button></form></div>",
        ),
        "consent",
    ),
    (
        "cmp-wall",
        _shell(
            "The Harbour Times",
            '<div id="sp_message_container_123456" class="sp-message-open">'
            '<iframe src="https://cmp.harbourtimes.example/index.html?message_id=123"></iframe>'
            "</div><p>We and our partners store and/or access information on a device.</p>",
        ),
        "consent",
    ),
    (
        "consent-title-only",
        _shell(
            "We value your privacy | The Harbour Times",
            "<h1>We value your privacy</h1><p>Choose how your data is used.</p>"
            "<button>Accept</button><button>Manage options</button>",
        ),
        "consent",
    ),
    (
        "login-interstitial",
        _shell(
            "Sign in | The Harbour Times",
            '<main><h1>Sign in</h1><form action="/account/login" method="post">'
            '<label>Email <input type="email" name="email"></label>'
            '<label>Password <input type="password" name="password"></label>'
            "<button>Continue</button></form><p>New here? Create an account.</p></main>",
        ),
        "login",
    ),
    (
        "login-phrase",
        _shell(
            "The Harbour Times",
            "<main><h2>Members only</h2><p>Please log in to read this article.</p>"
            '<a href="/login?next=/story">Log in</a></main>',
        ),
        "login",
    ),
    (
        "soft-404-title",
        _shell(
            "Page not found | The Harbour Times",
            "<main><h1>Sorry, we couldn't find that page</h1><p>Try searching or go to the "
            '<a href="/">front page</a>.</p></main>',
        ),
        "not_found",
    ),
    (
        "soft-404-heading",
        _shell(
            "The Harbour Times",
            "<main><h1>404</h1><p>The page you requested could not be found. It may have "
            "been moved or deleted.</p><ul><li><a href='/news'>News</a></li>"
            "<li><a href='/sport'>Sport</a></li></ul></main>",
        ),
        "not_found",
    ),
]

# A paywall teaser: the headline and the first paragraph of the very story, then the wall.
PAYWALLS: list[tuple[str, str]] = [
    (
        "paywall-class",
        article(
            paragraphs=ARTICLE[:1],
            extra='<div class="paywall"><h3>Subscribe to continue reading</h3>'
            '<p>Already a subscriber? <a href="/login">Sign in</a></p></div>',
        ),
    ),
    (
        "paywall-phrase",
        article(
            paragraphs=ARTICLE[:2],
            extra="<section><p>This article is for subscribers only. Get unlimited access "
            "for 1 euro a week.</p><a href='/subscribe'>See offers</a></section>",
        ),
    ),
    (
        "paywall-piano",
        article(
            paragraphs=ARTICLE[:1],
            extra='<div class="tp-modal"><p>You have reached your limit of free articles '
            "this month.</p></div>",
        ),
    ),
]

# Real articles (more than a wall would ever say) that talk about what walls talk about.
NOT_WALLS: list[tuple[str, str]] = [
    (
        "cookies",
        article(
            "Regulator fines publishers over cookie banners",
            (
                "The data protection regulator fined three publishers on Monday for cookie "
                "banners that made it harder to reject all cookies than to accept them.",
                "Readers had to click through four screens to refuse tracking, the regulator "
                "said, while a single button accepted every cookie and every partner at once.",
                "One publisher said it would appeal. Another said it had already changed its "
                "consent wall and now offered 'Reject all' beside 'Accept all' on every page.",
                "Privacy groups welcomed the decision but said many sites still used dark "
                "patterns, and asked the regulator to check the biggest news sites next.",
                "The fines total 1.2 million euros. The publishers have two months to comply "
                "or face daily penalties until their banners meet the rules.",
            ),
        ),
    ),
    (
        "subscribe",
        article(
            "Local paper doubles its subscribers in a year",
            (
                "The Harbour Times said on Friday it had doubled its digital subscribers in a "
                "year, to 24,000, after it put most stories behind a metered paywall.",
                "Readers can read five free articles a month; after that they are asked to "
                "subscribe to continue reading, an approach the editor called fair to both.",
                "The paper also started a newsletter that readers can subscribe to for free, "
                "and said a third of new subscribers had first signed up for it.",
                "Advertising still brings in more than half of the paper's money, but the "
                "share from subscribers rose from a fifth to two fifths in twelve months.",
                "The editor said the paper would hire two more reporters next year.",
            ),
        ),
    ),
    (
        "404-and-javascript",
        article(
            "City website down for a day after botched update",
            (
                "The city's website showed '404 Page not found' on every page for most of "
                "Wednesday after an update went wrong, officials said.",
                "Residents who tried to pay parking fines were told to enable JavaScript to "
                "continue, even when it was on, because a script failed to load.",
                "The IT department said the fault was in a JavaScript library the update had "
                "removed by mistake, and that the site was back by nine in the evening.",
                "No payments were lost, the city said, and fines due on Wednesday can be paid "
                "until the end of next week without a late fee.",
                "Councillors asked for a report on what went wrong within a month.",
            ),
        ),
    ),
    (
        "short-brief-with-site-chrome",
        article(
            "Ferry timetable changes on Sunday",
            (
                "The harbour ferry will run every half hour on Sunday mornings from next week, "
                "instead of every twenty minutes, the operator said on Thursday.",
                "The afternoon timetable does not change.",
            ),
            extra='<div class="tp-modal" hidden></div><form class="login-box"><input '
            'type="password" name="pw"></form><noscript>Please enable JavaScript to view '
            "the comments.</noscript><p>Already a subscriber? Sign in.</p>",
        ),
    ),
    (
        "sign-in-with-apple",
        article(
            "Sign in with Apple comes to the city's parking app",
            (
                "Drivers can now sign in to the city's parking app with their Apple or "
                "Google accounts, the council said, instead of creating a new password.",
                "The change follows complaints that the old sign-in page locked people out "
                "after three wrong tries.",
            ),
        ),
    ),
]
