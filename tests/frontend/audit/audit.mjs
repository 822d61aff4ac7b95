// Runs the graphql-http server audits against the URL given and prints one JSON line per audit:
// {id, name, status, reason}. tests/frontend/test_graphql_over_http.py judges the results.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? null : String(result.reason),
  });
}
process.stdout.write(JSON.stringify(results));
