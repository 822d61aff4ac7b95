"""GraphiQL served by the app itself, from files shipped in the repository (static/vendor/), so
it works on a closed network; page.py renders the page, static/ holds its script."""
