/**
 * Every rule carries examples that must match and negative examples that must not; this checks
 * them, so adding a rule is adding data and the data proves itself.
 */
import { compileRuleset } from './compile.js';
import { detectContent, detectPath } from './detect.js';
import { ruleKind, type RuleExample, type RuleSpec } from './rule-spec.js';

export interface ExampleFailure {
  ruleId: string;
  source?: string;
  problem: string;
}

function describe(e: RuleExample): string {
  const parts: string[] = [];
  if (e.path !== undefined) parts.push(`path ${JSON.stringify(e.path)}`);
  if (e.content !== undefined)
    parts.push(JSON.stringify(e.content.length > 80 ? `${e.content.slice(0, 77)}...` : e.content));
  if (e.size !== undefined) parts.push(`size ${e.size}`);
  return parts.join(', ');
}

/** Does this rule, alone, report the example? */
export function exampleMatches(spec: RuleSpec, e: RuleExample): boolean {
  const ruleset = compileRuleset([spec]);
  const kind = ruleKind(spec);
  if (kind !== 'content') {
    // for path and size rules a bare string example is a path
    const path = e.path ?? e.content ?? '';
    return detectPath(ruleset, path, e.size ?? 0).some((f) => f.rule.id === spec.id);
  }
  const path = e.path ?? 'example.txt';
  return detectContent(ruleset, path, e.content ?? '', { guardMs: 2000 }).some(
    (f) => f.rule.id === spec.id && !f.inlineAllowed,
  );
}

export function checkRuleExamples(specs: RuleSpec[]): ExampleFailure[] {
  const failures: ExampleFailure[] = [];
  for (const spec of specs) {
    const fail = (problem: string) => failures.push({ ruleId: spec.id, source: spec.source, problem });
    if (!spec.examples?.length) fail('has no examples');
    if (!spec.negative_examples?.length) fail('has no negative_examples');
    for (const e of spec.examples ?? []) if (!exampleMatches(spec, e)) fail(`example does not match: ${describe(e)}`);
    for (const e of spec.negative_examples ?? [])
      if (exampleMatches(spec, e)) fail(`negative example matches: ${describe(e)}`);
  }
  return failures;
}
