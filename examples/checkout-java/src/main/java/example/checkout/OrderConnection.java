package example.checkout;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A connection to the Temporal service from the standard Temporal environment configuration ({@link
 * ClientConfigProfile#load()}): the profile of {@code TEMPORAL_CONFIG_FILE} (default {@code
 * ~/.config/temporalio/temporal.toml}) named by {@code TEMPORAL_PROFILE}, overridden by {@code TEMPORAL_ADDRESS},
 * {@code TEMPORAL_NAMESPACE}, {@code TEMPORAL_API_KEY}, {@code TEMPORAL_TLS_CLIENT_CERT_PATH}, {@code
 * TEMPORAL_TLS_CLIENT_KEY_PATH}, {@code TEMPORAL_TLS_SERVER_CA_CERT_PATH}, {@code TEMPORAL_TLS_SERVER_NAME}... Nothing
 * set: {@code localhost:7233}, namespace {@code default}, no TLS. Close it when done.
 */
public final class OrderConnection implements AutoCloseable {
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;
  private final UpdateWithStartProbe probe;

  private OrderConnection(WorkflowServiceStubs service, WorkflowClient client, UpdateWithStartProbe probe) {
    this.service = service;
    this.client = client;
    this.probe = probe;
  }

  /**
   * Connects with the environment configuration of this process.
   *
   * @return the connection (the first call connects)
   * @throws IOException when the configuration file cannot be read
   */
  public static OrderConnection fromEnvironment() throws IOException {
    return fromProfile(ClientConfigProfile.load());
  }

  /**
   * Connects with a loaded profile.
   *
   * @param profile e.g. {@code ClientConfigProfile.load(options)}
   * @return the connection
   */
  public static OrderConnection fromProfile(ClientConfigProfile profile) {
    UpdateWithStartProbe probe = new UpdateWithStartProbe();
    WorkflowServiceStubsOptions stubsOptions =
        WorkflowServiceStubsOptions.newBuilder(profile.toWorkflowServiceStubsOptions())
            .addGrpcClientInterceptor(probe)
            .build();
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(stubsOptions);
    WorkflowClientOptions clientOptions =
        WorkflowClientOptions.newBuilder(profile.toWorkflowClientOptions())
            .setDataConverter(OrderJson.dataConverter())
            .build();
    return new OrderConnection(service, WorkflowClient.newInstance(service, clientOptions), probe);
  }

  /**
   * The Temporal client (data converter: {@link OrderJson#dataConverter()}).
   *
   * @return the client
   */
  public WorkflowClient client() {
    return client;
  }

  /**
   * The namespace the client uses.
   *
   * @return the namespace
   */
  public String namespace() {
    return client.getOptions().getNamespace();
  }

  /**
   * The probe that tells whether an Update-With-Start started its workflow.
   *
   * @return the probe registered on this connection
   */
  UpdateWithStartProbe probe() {
    return probe;
  }

  /** Closes the connection, waiting up to 5 s for calls in flight. */
  @Override
  public void close() {
    service.shutdown();
    service.awaitTermination(5, TimeUnit.SECONDS);
  }
}
