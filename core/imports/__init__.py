"""The framework every import file shares (CONTRACT.md §1): reading a file (`files`), parsing
its cells (`cells`), and the kinds of file with their rows, errors and plans (`kinds`).

Each app declares its own kinds in its `importers.py` and registers them from
AppConfig.ready(); `metrics.services.import_file` runs any of them whole or not at all.
"""
