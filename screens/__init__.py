"""Lobby display screens (营业厅大屏): a branch subtree's honour board (光荣榜), token only.

`services` makes and revokes screens, `selectors` finds a screen by its token and builds
what it shows, `views` serves the page and its JSON (CONTRACT.md §4).
"""
