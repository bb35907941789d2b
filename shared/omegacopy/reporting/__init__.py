"""Reports: a data model (`report_model`) and its rendering to one self-contained HTML file
(`html_report`, with the SVG charts of `svg_charts`). Stdlib and domain only: the loaders live in
adapters (live PostgreSQL) and in the backtest use case."""
