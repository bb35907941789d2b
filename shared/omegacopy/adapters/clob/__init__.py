"""The CLOB V2 HTTP client, in parts: `errors` (what a failed call raises), `wire` (the replies'
shapes, validated), `resilience` (rate limits, retries, Retry-After) and `client` (the calls)."""
