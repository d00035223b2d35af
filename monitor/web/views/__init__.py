"""Page functions, one module per kind of page; ``app.py`` lists their routes."""
