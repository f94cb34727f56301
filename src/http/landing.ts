// The small landing page Prometheus components serve at "/": name, version, links.
// Links are relative so the page works behind a reverse proxy under a path prefix.
export interface Link {
  readonly href: string;
  readonly text: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage(title: string, version: string, links: readonly Link[]): string {
  const items = links.map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Version ${escapeHtml(version)}</p>
<ul>
${items}
</ul>
</body>
</html>
`;
}
