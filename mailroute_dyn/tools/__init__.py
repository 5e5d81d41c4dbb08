"""Tools over a connected client that the command line calls and scripts may use too:
`graph` (resources and their relations), `stubs` (a `.pyi` of the live schema) and
`schemadiff` (what changed between two schemas). They sit after `client` and before `cli`."""
