"""The built-in industry plugins, registered through the ``leadcycle``
entry-point group like any outside plugin."""
