"""Stand-in (see ../README.md): keras.callbacks.Callback."""
