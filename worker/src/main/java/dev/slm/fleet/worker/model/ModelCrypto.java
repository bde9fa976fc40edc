package dev.slm.fleet.worker.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * At-rest encryption of model files: AES-256-GCM, file = MAGIC | 12-byte nonce | ciphertext+tag.
 * Decryption happens in memory only; the plaintext never touches the disk.
 */
public final class ModelCrypto {

    static final byte[] MAGIC = "SLMAESGCM1".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private ModelCrypto() {}

    public static boolean isEncrypted(byte[] data) {
        return data.length > MAGIC.length && Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    public static byte[] decrypt(byte[] data, byte[] key) throws GeneralSecurityException {
        if (!isEncrypted(data)) {
            throw new GeneralSecurityException("not an SLM AES-GCM model file (missing header)");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(
                Cipher.DECRYPT_MODE,
                new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(TAG_BITS, data, MAGIC.length, NONCE_BYTES));
        int offset = MAGIC.length + NONCE_BYTES;
        return cipher.doFinal(data, offset, data.length - offset);
    }

    public static byte[] encrypt(byte[] plain, byte[] key) throws GeneralSecurityException {
        byte[] nonce = new byte[NONCE_BYTES];
        new SecureRandom().nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        byte[] sealed = cipher.doFinal(plain);
        byte[] out = new byte[MAGIC.length + NONCE_BYTES + sealed.length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        System.arraycopy(nonce, 0, out, MAGIC.length, NONCE_BYTES);
        System.arraycopy(sealed, 0, out, MAGIC.length + NONCE_BYTES, sealed.length);
        return out;
    }

    /** A key file holds 32 raw bytes, or the key as base64 or hex text (a Kubernetes Secret key). */
    public static byte[] readKey(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length == 32) {
            return raw;
        }
        String text = new String(raw, StandardCharsets.US_ASCII).trim();
        byte[] key;
        if (text.matches("[0-9a-fA-F]{64}")) {
            key = HexFormat.of().parseHex(text);
        } else {
            try {
                key = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IOException("key file " + file + " is neither 32 raw bytes, hex nor base64");
            }
        }
        if (key.length != 32) {
            throw new IOException(
                    "key file " + file + " holds a " + key.length * 8 + "-bit key; AES-256 needs 256 bits");
        }
        return key;
    }
}
