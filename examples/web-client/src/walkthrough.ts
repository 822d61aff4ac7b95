// The README's walkthrough from a typed client: sign in, report, find the report again by its
// code, renew the session. Run: node dist/walkthrough.js http://127.0.0.1:8000/graphql PHONE PASSWORD
import { readFileSync } from "node:fs";

import { ApiClient } from "./client.js";
import { graphql } from "./gql/index.js";

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { token expiresAt user { displayName role } errors { code message } }
  }
`);

export const Categories = graphql(`
  query Categories { categories { id code name } }
`);

export const SubmitReport = graphql(`
  mutation SubmitReport($input: SubmitReportInput!) {
    submitReport(input: $input) { report { id code status dueAt } errors { code field message } }
  }
`);

export const ReportByCode = graphql(`
  query ReportByCode($code: String!) {
    report(code: $code) { code title status dueAt timeline { kind at } }
  }
`);

export const RenewSession = graphql(`
  mutation RenewSession { renewSession { token expiresAt errors { code message } } }
`);

async function main(): Promise<void> {
  const [url, phone, password] = process.argv.slice(2);
  if (!url || !phone || !password) throw new Error("usage: walkthrough URL PHONE PASSWORD");
  const manifest = new URL("../src/gql/persisted-documents.json", import.meta.url);
  const documents = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
  const api = new ApiClient(url, documents, "vi");
  const { login } = await api.request(Login, { input: { phone, password } });
  if (!login.token) throw new Error(login.errors.map((e) => e.message).join("; "));
  api.token = login.token;
  const { categories } = await api.request(Categories);
  const category = categories[0];
  if (!category) throw new Error("no categories");
  const { submitReport } = await api.request(SubmitReport, {
    input: {
      description: "Đèn đường hỏng trước số 5 đường Lê Lợi",
      categoryId: category.id,
      location: { latitude: 16.4637, longitude: 107.5909, address: "5 đường Lê Lợi" },
    },
  });
  const code = submitReport.report?.code;
  if (!code) throw new Error(submitReport.errors.map((e) => e.message).join("; "));
  const { report } = await api.request(ReportByCode, { code });
  const { renewSession } = await api.request(RenewSession);
  console.log(JSON.stringify({
    user: login.user?.displayName,
    expiresAt: login.expiresAt,
    report: report && { code: report.code, status: report.status, dueAt: report.dueAt,
                        timeline: report.timeline.map((event) => event.kind) },
    renewed: Boolean(renewSession.token),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
