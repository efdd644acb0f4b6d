"""The HR web console: urls, access, views, forms, tables and filters."""
