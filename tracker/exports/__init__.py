"""Exports for other tools: JSON Lines (`jsonl`), a git repository (`gitrepo`) and WARC (`warc`).

Each streams: stories are read a page at a time and versions a story at a time, so the memory an
export needs does not grow with the database.
"""
