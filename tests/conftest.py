"""Options for the whole test suite."""


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("embedded", "remote"), default="embedded",
                     help="what the API's tests serve from: the embedded store (default), or a real Oxigraph server "
                          "on 127.0.0.1 that `ctkg push` loaded (the API's remote mode)")
