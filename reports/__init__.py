"""Reports: charts, exports (CSV/XLSX), PDF scorecards and packs, and the tasks that make them."""
