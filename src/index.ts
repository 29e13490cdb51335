/** leakguard's programmatic API. */
export {
  scan,
  scanMessage,
  prepare,
  redactFindings,
  clearScanCache,
  type ScanOptions,
  type MessageOptions,
  type PreparedScan,
} from './api.js';
export { loadConfig, buildRuleset, effectiveRules, parseConfig, CONFIG_FILE, type Config } from './config.js';
export { LeakguardError, EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR } from './errors.js';
export { compileRuleset, compileRule, type Ruleset, type CompiledRule } from './engine/compile.js';
export { loadDefaultRules, loadRuleFile, defaultRulesDir, precompilePack, packJson } from './engine/rule-pack.js';
export { validateRule, rulesFromDocument, type RuleSpec, type RuleExample } from './engine/rule-spec.js';
export { checkRuleExamples, type ExampleFailure } from './engine/rule-check.js';
export { Engine, newStats } from './engine/scan.js';
export { baselineFromFindings, readBaseline, writeBaseline, BASELINE_FILE } from './engine/baseline.js';
export { fingerprint, redact } from './engine/fingerprint.js';
export { formatText } from './report/text.js';
export { formatJson } from './report/json.js';
export { formatSarif } from './report/sarif.js';
export { installHook, uninstallHook } from './integrations/hook.js';
export type * from './types.js';
