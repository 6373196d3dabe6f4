"""A provider's rate limit: `rate` requests/s, `burst` at once (the SP-API
usage plan, an AWS account's quota)."""

import threading
import time


class TokenBucket:
    # Arrival times jitter by milliseconds even when a client paces its calls
    # exactly; a real rate limiter is not that strict either.
    TOLERANCE = 0.05

    def __init__(self, rate, burst):
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1 - self.TOLERANCE:
                self.tokens -= 1
                return True
            return False
