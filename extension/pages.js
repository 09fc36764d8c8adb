// Which pages are a candidate's, and the id each names: the one table the extension recognises pages by.
// Only the page's URL is read, never its content: an ATS page gives Brobygger nothing but this id.
// The server checks the same kinds and id shapes (plugin/browser/pages.py) and frames the sidebar only on
// these sites; tests/browser/test_package.py keeps both in step with the manifest's content-script sites.

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

export const PAGES = [
  {
    // Greenhouse's webhooks and Harvest answers link a candidate as app.greenhouse.io/people/<candidate id>
    // (?application_id=<id> for one application; /applications/<id> in the newer profile): Greenhouse
    // Webhooks documentation, the candidate and application `url` fields.
    kind: "greenhouse",
    host: /^app\.greenhouse\.io$/,
    path: /^\/people\/(\d{1,20})(?:\/|$)/,
  },
  {
    // Lever's opportunity carries `urls.show`, hire.lever.co/candidates/<opportunity id>: Lever Data API
    // documentation, Opportunities (connectors/fixtures/lever/opportunities_page.json).
    kind: "lever",
    host: /^hire\.lever\.co$/,
    path: new RegExp(`^/candidates/(${UUID})(?:/|$)`),
  },
  {
    // Teamtailor's candidate page, app.teamtailor.com/companies/<company id>/candidates/<candidate id>, as
    // public clients of its API link it (connectors/teamtailor.py names them); the id is the API's.
    kind: "teamtailor",
    host: /^app\.teamtailor\.com$/,
    path: /^\/companies\/[^/]+\/candidates\/(\d{1,20})(?:\/|$)/,
  },
  {
    // Ashby's candidate carries `profileUrl`, app.ashbyhq.com/candidates/<candidate id>: Ashby API
    // documentation, candidate.info (connectors/fixtures/ashby/candidate_info.json).
    kind: "ashby",
    host: /^app\.ashbyhq\.com$/,
    path: new RegExp(`^/candidates/(${UUID})(?:/|$)`),
  },
  {
    // Workable's candidate carries `profile_url`, <account>.workable.com/backend/jobs/<job>/candidates/<id>
    // (Workable API v3 documentation, GET /candidates); its pipeline view shows the same id as
    // /backend/jobs/<job>/browser/<stage>/candidate/<id>. The id is not the API's: Brobygger matches it
    // against the page URL Kombo reports (`remote_url`).
    kind: "workable",
    host: /^[a-z0-9-]+\.workable\.com$/,
    path: /^\/backend\/jobs\/[^/]+\/(?:candidates|browser\/[^/]+\/candidate)\/(\d{1,20})(?:\/|$)/,
  },
  {
    // A LinkedIn member's public profile is www.linkedin.com/in/<vanity name>: LinkedIn Help, "Manage your
    // public profile URL" (answer 87).
    kind: "linkedin",
    host: /^www\.linkedin\.com$/,
    path: /^\/in\/([\w%-]{3,100})\/?$/,
  },
];

// The page a URL is, as {kind, id}, or null for any other page.
export function recognise(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:") return null;
  for (const page of PAGES) {
    if (!page.host.test(parsed.hostname)) continue;
    const match = page.path.exec(parsed.pathname);
    if (match) return { kind: page.kind, id: decodeURIComponent(match[1]) };
  }
  return null;
}
