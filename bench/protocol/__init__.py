"""The protocol's pure pieces (docs/protocol.md): masks, metrics, the downstream model, encodings, profiles,
the scores of draws and of inference after imputation. Nothing here reads or writes files."""
