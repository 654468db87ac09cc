"""Written as flask/__init__.py and flask/testing.py when Flask is not installed: HMA's tests import these
names only to annotate their arguments."""


class Flask:
    pass


class FlaskClient:
    pass
