package io.linkgateway.client;

import java.util.UUID;

/** Request ids for safe retries (AIP-155). */
public final class RequestIds {
  private RequestIds() {}

  /**
   * A fresh request_id for one logical delete or unlink start: sent again on a
   * retry, it is answered from the gateway's record instead of deleting twice.
   */
  public static String newRequestId() {
    return UUID.randomUUID().toString();
  }
}
