package finance.twist.auth;

import finance.twist.common.crypto.Base58;
import finance.twist.common.http.ProblemException;
import java.util.Base64;

/** Decodes the wallet signature a client sends: base58 (what Solana wallets show) or base64. */
public final class SignatureEncoding {

    private SignatureEncoding() {}

    /**
     * The 64 signature bytes.
     *
     * @throws ProblemException 400 when the text is neither base58 nor base64 of 64 bytes
     */
    public static byte[] decode(String text) {
        if (text.length() > 128) {
            throw ProblemException.badRequest("Field 'signature' is too long for an Ed25519 signature.");
        }
        try {
            byte[] bytes = Base58.decode(text);
            if (bytes.length == Ed25519.SIGNATURE_BYTES) {
                return bytes;
            }
        } catch (IllegalArgumentException notBase58) {
            // fall through to base64
        }
        byte[] bytes = base64(text);
        if (bytes == null) {
            throw ProblemException.badRequest("Field 'signature' must be base58 or base64.");
        }
        if (bytes.length != Ed25519.SIGNATURE_BYTES) {
            throw ProblemException.badRequest("Field 'signature' must decode to 64 bytes.");
        }
        return bytes;
    }

    private static byte[] base64(String text) {
        try {
            if (text.indexOf('-') >= 0 || text.indexOf('_') >= 0) {
                return Base64.getUrlDecoder().decode(text);
            }
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
