package finance.twist.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects a {@link TestDatabase} and a {@link TestRedis} into test constructors, lifecycle methods
 * and test methods. Each test class gets its own database and key prefix, shared by its tests.
 *
 * <pre>
 * &#64;ExtendWith(TwistInfraExtension.class)
 * class LedgerIT {
 *     LedgerIT(TestDatabase db, TestRedis redis) { ... }
 * }
 * </pre>
 */
public final class TwistInfraExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(TwistInfraExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestDatabase.class || type == TestRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        Class<?> testClass = context.getRequiredTestClass();
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        String name = testClass.getSimpleName();
        if (type == TestDatabase.class) {
            return store.getOrComputeIfAbsent(
                    testClass.getName() + ":db", key -> TestInfrastructure.newDatabase(name), TestDatabase.class);
        }
        return store.getOrComputeIfAbsent(
                testClass.getName() + ":redis", key -> TestInfrastructure.newRedis(name), TestRedis.class);
    }
}
