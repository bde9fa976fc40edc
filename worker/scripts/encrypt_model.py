#!/usr/bin/env python3
"""Encrypts a model file for the worker's at-rest encryption (AES-256-GCM, decrypted only in memory).

Format: b"SLMAESGCM1" | 12-byte random nonce | ciphertext | 16-byte tag (what AESGCM.encrypt returns).
The key file holds the 32-byte key as base64 text; it is created with a random key if it does not exist.
Needs the PyPI package `cryptography`.

Usage: encrypt_model.py MODEL_IN MODEL_OUT KEY_FILE
"""
import base64
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SLMAESGCM1"


def main():
    src, dst, key_file = sys.argv[1:4]
    if os.path.exists(key_file):
        raw = open(key_file, "rb").read()
        key = raw if len(raw) == 32 else base64.b64decode(raw.strip())
    else:
        key = AESGCM.generate_key(bit_length=256)
        with open(key_file, "w") as f:
            f.write(base64.b64encode(key).decode() + "\n")
        os.chmod(key_file, 0o600)
    if len(key) != 32:
        sys.exit(f"{key_file}: need a 256-bit key, got {len(key) * 8} bits")
    nonce = os.urandom(12)
    with open(src, "rb") as f:
        sealed = AESGCM(key).encrypt(nonce, f.read(), None)
    with open(dst, "wb") as f:
        f.write(MAGIC + nonce + sealed)
    print(f"wrote {dst}; pin the plaintext digest: sha256sum {src}")


if __name__ == "__main__":
    main()
