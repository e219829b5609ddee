import { z } from 'zod';

/**
 * An account's grouping rules (issue 21, item 2): alerts whose group_by labels have the same values
 * join one group within the rule's window, like Alertmanager's group_by. An alert no rule applies to
 * is grouped by topology (a shared host or service) as before.
 */

// Datadog tag keys and Prometheus label names, plus the alert's own host and service.
const LabelKey = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}$/, 'must be a tag or label key: letters, digits, "_", ".", "/" or "-"');
// "key:value" asks for that value, "key" for the key with any value.
const TagMatch = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}(:.{1,200})?$/, 'must be "key" or "key:value"');

const noRepeats = (values: string[]) => new Set(values).size === values.length;

export const GroupRule = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, "-" or "_"'),
    group_by: z.array(LabelKey).max(10).refine(noRepeats, 'must not name a key twice'),
    window_s: z
      .number()
      .int()
      .min(10)
      .max(24 * 3600),
    when: z.strictObject({ tags: z.array(TagMatch).min(1).max(20) }).optional(),
    min_members: z.number().int().min(1).max(1000).optional(),
  })
  .meta({
    id: 'GroupRule',
    description:
      'Alerts with the same values of every group_by key (tags and labels; host and service are the alert’s own) join one group ' +
      'for window_s from its first alert. when.tags must all be on the alert ("key" or "key:value"). A group whose rule sets ' +
      'min_members starts its RCA once that many alerts joined. An empty group_by groups every alert the rule applies to, ' +
      'up to RAYNE_GROUP_MAX_MEMBERS per group.',
  });
export type GroupRule = z.output<typeof GroupRule>;

export const GroupRules = z
  .array(GroupRule)
  .max(20)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', message: 'must be unique among the rules', path: [i, 'name'] });
      seen.add(rule.name);
    });
  })
  .meta({ description: 'Tried in order; the first rule that applies to an alert groups it.' });

/** What a rule reads from an alert: its tags or labels, and its host and service. */
export interface AlertLabels {
  tags: string[];
  hostname?: string;
  service?: string;
}

/** The rule that groups an alert and the key its group carries; undefined when no rule applies. */
export interface RuleMatch {
  rule: GroupRule;
  groupKey: string;
}

/** key → value of an alert: the first value of each tag key, and host and service from the alert itself. */
export function labelsOf(alert: AlertLabels): Map<string, string> {
  const labels = new Map<string, string>();
  for (const tag of alert.tags) {
    const at = tag.indexOf(':');
    const [key, value] = at < 0 ? [tag, ''] : [tag.slice(0, at), tag.slice(at + 1)];
    if (!labels.has(key)) labels.set(key, value);
  }
  if (alert.hostname) labels.set('host', alert.hostname);
  if (alert.service) labels.set('service', alert.service);
  return labels;
}

const holds = (match: string, labels: Map<string, string>) => {
  const at = match.indexOf(':');
  return at < 0 ? labels.has(match) : labels.get(match.slice(0, at)) === match.slice(at + 1);
};

/**
 * The first rule whose condition holds and whose group_by keys the alert all has, and the group key
 * it gives: the rule's name and each key's value, so two rules never share a group.
 */
export function matchRule(rules: readonly GroupRule[], alert: AlertLabels): RuleMatch | undefined {
  const labels = labelsOf(alert);
  for (const rule of rules) {
    if (rule.when && !rule.when.tags.every((m) => holds(m, labels))) continue;
    if (!rule.group_by.every((k) => labels.has(k))) continue;
    return { rule, groupKey: `${rule.name}:${rule.group_by.map((k) => `${k}=${labels.get(k)}`).join(',')}` };
  }
  return undefined;
}

/** Tags as stored in an event's payload: a JSON array, or Datadog's comma-separated $TAGS. */
export function storedTags(tags: unknown): string[] {
  if (Array.isArray(tags)) return tags.map(String);
  if (typeof tags === 'string')
    return tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  return [];
}
