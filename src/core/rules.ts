/**
 * API rules: validating a rule against a collection and checking records against rules
 * (upstream's collectionValidator.checkRule, App.CanAccessRecord and the rule parts of apis/record_crud.go).
 */
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";

/**
 * Throws an Error when `rule` is not a valid filter for `collection` (message as upstream:
 * "Invalid rule. Raw error: <reason>"). An empty rule is always valid.
 * The collection-validation code reports the message under the rule's key with code `validation_invalid_rule`.
 */
export function checkRule(app: App, collection: Collection, rule: string): void {
  void app;
  void collection;
  if (rule === "") return;
  // TODO(search): parse and resolve the rule against the collection (in progress).
}
