package finance.twist.common.crypto;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;

/** The P-256 curve (secp256r1) of ES256, shared by the token signer and the token verifiers. */
public final class P256 {

    /** The curve parameters, resolved once from the JDK. */
    public static final ECParameterSpec SPEC = resolve();

    private P256() {}

    private static ECParameterSpec resolve() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks P-256", e);
        }
    }
}
