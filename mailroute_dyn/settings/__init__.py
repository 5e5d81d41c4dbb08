"""Settings: where a client's URL, credentials and options come from (arguments,
environment, profiles in config.toml, key sources), resolved once, and the auth
classes that carry them. Leaves of the data flow: nothing here sends.
"""
