// Decides where a notification goes. Routes are tried in order and match on the
// notification's common labels (the labels every alert of the group shares: with the
// shipped Alertmanager config, which groups by alertname and instance, that includes
// `severity`). The first match wins unless it says `continue: true`; notifications no
// route matched go to `default_destinations`.
import type { RouteConfig } from '../config/schema.js';
import { parseMatcher, type Matcher } from '../config/matchers.js';
import type { AlertmanagerNotification, Presentation } from './types.js';

export interface RouteTarget {
  readonly destination: string;
  readonly presentation: Presentation;
}

interface CompiledRoute {
  readonly matchers: readonly Matcher[];
  readonly targets: readonly RouteTarget[];
  readonly continue: boolean;
}

export class Router {
  private readonly routes: readonly CompiledRoute[];

  constructor(
    routes: readonly RouteConfig[],
    private readonly defaults: readonly string[],
  ) {
    this.routes = routes.map((r) => {
      const presentation: Presentation = {
        ...(r.mention !== undefined && { mention: r.mention }),
        ...(r.title_template !== undefined && { titleTemplate: r.title_template }),
        ...(r.text_template !== undefined && { textTemplate: r.text_template }),
      };
      return {
        matchers: r.matchers.map(parseMatcher),
        targets: r.destinations.map((destination) => ({ destination, presentation })),
        continue: r.continue,
      };
    });
  }

  route(n: AlertmanagerNotification): RouteTarget[] {
    const labels = { ...n.commonLabels, ...n.groupLabels };
    const out: RouteTarget[] = [];
    for (const r of this.routes) {
      if (!r.matchers.every((m) => m.matches(labels))) continue;
      out.push(...r.targets);
      if (!r.continue) break;
    }
    if (out.length === 0) out.push(...this.defaults.map((destination) => ({ destination, presentation: {} })));
    // One message per destination even when two matching routes name the same one.
    const seen = new Set<string>();
    return out.filter((t) => !seen.has(t.destination) && seen.add(t.destination));
  }
}

/**
 * Removes alerts that carry `label="false"` (e.g. notify="false", set on probe targets
 * that should be watched but not paged on). Returns undefined when nothing is left.
 */
export function withoutSuppressed(n: AlertmanagerNotification, label: string): AlertmanagerNotification | undefined {
  const alerts = n.alerts.filter((a) => a.labels[label] !== 'false');
  if (alerts.length === n.alerts.length) return n;
  if (alerts.length === 0) return undefined;
  return { ...n, alerts, status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved' };
}
