/**
 * Collection validation (upstream's core/collection_validate.go and the options validators of
 * collection_model_auth_options.go / collection_model_view_options.go): identity, system
 * protections, fields, API rules, indexes and the type's options, reported as a nested error map
 * with upstream's codes.
 */
import type { App } from "./app.ts";
import {
  Collection,
  COLLECTION_TYPE_AUTH,
  COLLECTION_TYPE_BASE,
  COLLECTION_TYPE_VIEW,
  FIELD_NAME_EMAIL,
  FIELD_NAME_EMAIL_VISIBILITY,
  FIELD_NAME_ID,
  FIELD_NAME_PASSWORD,
  FIELD_NAME_TOKEN_KEY,
  FIELD_NAME_VERIFIED,
  type EmailTemplate,
  type OAuth2ProviderConfig,
  type TokenConfig,
} from "./collection.ts";
import { buildIndex, findSingleColumnUniqueIndex, isValidIndex, parseIndex } from "./collection_index.ts";
import { collectionIdExists } from "./collection_query.ts";
import { ValidationErrors, type FieldError } from "./errors.ts";
import {
  BoolField,
  EmailField,
  PasswordField,
  TextField,
  FieldsList,
  checkForVia,
  toUniqueStringSlice,
} from "./fields/index.ts";
import { checkRule as checkRuleSyntax } from "./rules.ts";
import { createViewFields, dryRunView } from "./view.ts";
import { isOAuth2ProviderName } from "./collection_oauth2_providers.ts";
import {
  asItem,
  firstError,
  inList,
  joinValidationErrors,
  length,
  match,
  max,
  min,
  newError,
  nil,
  nilOrNotEmpty,
  required,
  validateStruct,
  when,
  type Rule,
} from "./validators/validation.ts";
import { url } from "./validators/is.ts";

const COLLECTION_NAME_RE = /^\w+$/;
const DEFAULT_ID_RE = /^\w+$/;
const RESERVED_AUTH_KEYS = ["passwordConfirm", "oldPassword"];

const errMustBeSystemAndHidden = () =>
  newError("validation_must_be_system_and_hidden", `The field must be marked as "System" and "Hidden".`);
const errMustBeSystem = () => newError("validation_must_be_system", `The field must be marked as "System".`);

/** True when no other collection (besides `excludeIds`) has this name, case-insensitively. */
export async function isCollectionNameUnique(app: App, name: string, ...excludeIds: string[]): Promise<boolean> {
  if (name === "") return false;
  const ids = excludeIds.filter((id) => id !== "");
  const q = app.db.dialect.quoteIdent;
  const where = ids.length > 0 ? ` AND ${q("id")} NOT IN (${ids.map(() => "?").join(", ")})` : "";
  const row = await app.db.get<{ n: number }>(
    `SELECT count(*) AS n FROM ${q("_collections")} WHERE LOWER(${q("name")}) = ?${where} LIMIT 1`,
    [name.toLowerCase(), ...ids],
  );
  return row!.n === 0;
}

/**
 * Validates `next` against its stored state `original` (null for a new collection); throws
 * ValidationErrors. View collections get their fields re-inferred from the query first.
 */
export async function validateCollection(app: App, next: Collection, original: Collection | null): Promise<void> {
  const err = await new CollectionValidator(app, next, original).run();
  if (err) throw err;
}

/**
 * What the rules need from the database, read before they run (the rule chain is synchronous): each
 * entry is the answer of one of upstream's lookups, or null when the value did not ask for it.
 */
interface ValidatorFacts {
  /** `id` is taken by another collection (or the lookup failed). */
  idTaken: boolean;
  /** `id` equals another collection's name. */
  idIsOtherName: boolean;
  /** The name check's answer, in upstream's order: null when the name passes. */
  nameError: Error | null;
  /** Each field's settings error by position. */
  fieldErrors: Map<number, Error>;
  /** The view query's dry-run error. */
  viewQueryError: Error | null;
  /** The table already using an index name (lowercase), for names used by another table. */
  indexTables: Map<string, string>;
}

/** Upstream's collectionValidator. */
export class CollectionValidator {
  private readonly original: Collection;

  constructor(
    private readonly app: App,
    private readonly next: Collection,
    original: Collection | null,
  ) {
    // a new collection is compared with a blank one of its type
    this.original = original ?? Collection.create(next.type, "");
  }

  private facts: ValidatorFacts = {
    idTaken: false,
    idIsOtherName: false,
    nameError: null,
    fieldErrors: new Map(),
    viewQueryError: null,
    indexTables: new Map(),
  };

  /** The error map, or null when the collection is valid. */
  async run(): Promise<ValidationErrors | null> {
    const { next } = this;
    if (next.isView()) {
      // fields come from the query, whatever was submitted
      try {
        next.fields = await createViewFields(this.app, next.viewQuery);
      } catch {
        next.fields = new FieldsList();
      }
    }
    await this.loadFacts();
    return this.runRules();
  }

  /** Reads everything the rules ask the database, so `runRules` can stay a synchronous chain. */
  private async loadFacts(): Promise<void> {
    const { app, next, original } = this;
    const f = this.facts;
    const q = app.db.dialect.quoteIdent;
    const id = next.id;
    if (typeof id === "string" && id !== "") {
      if (original.isNew()) {
        try {
          f.idTaken = await collectionIdExists(app, id);
        } catch {
          f.idTaken = true; // an unreadable table counts as taken, as upstream
        }
      }
      f.idIsOtherName =
        (await app.db.get(
          `SELECT 1 FROM ${q("_collections")} WHERE ${q("id")} != ? AND LOWER(${q("name")}) = LOWER(?) LIMIT 1`,
          [id, id],
        )) !== null;
    }
    f.nameError = await this.checkUniqueName(next.name);
    for (let i = 0; i < next.fields.length; i++) {
      let err: Error | null;
      try {
        err = await next.fields[i]!.validateSettings(app, next);
      } catch (e) {
        err = e as Error;
      }
      if (err) f.fieldErrors.set(i, err);
    }
    if (next.isView()) f.viewQueryError = await this.checkViewQuery(next.viewQuery);
    for (const raw of next.indexes) {
      const indexName = parseIndex(raw).indexName;
      const key = indexName.toLowerCase();
      if (indexName === "" || f.indexTables.has(key)) continue;
      // index names are global to the database: one owned by another table is taken
      const used = await app.db.get<{ tbl_name: string }>(app.db.dialect.catalog.indexTable, [indexName]);
      const owner = used?.tbl_name ?? "";
      const ownerLower = owner.toLowerCase();
      if (owner && ownerLower !== original.name.toLowerCase() && ownerLower !== next.name.toLowerCase()) {
        f.indexTables.set(key, owner);
      }
    }
  }

  private runRules(): ValidationErrors | null {
    const { next, original } = this;

    const isNewOriginal = original.isNew();
    const ruleFor = (rule: string | null, old: string | null, ...extra: Rule[]): Rule[] => [
      ...extra,
      (v) => this.checkRule(v),
      (v) => this.ensureNoSystemRuleChange(v, old),
    ];

    const baseErr = validateStruct([
      [
        "id",
        next.id,
        required,
        when(
          isNewOriginal,
          [length(1, 100), match(DEFAULT_ID_RE), (v) => this.uniqueId(v)],
          [(v) => (v === original.id ? null : newError("validation_values_mismatch", "Values don't match."))],
        ),
        (v) => this.checkIdNotOtherName(v),
      ],
      ["system", next.system, (v) => this.ensureNoSystemFlagChange(v)],
      [
        "type",
        next.type,
        required,
        inList(COLLECTION_TYPE_BASE, COLLECTION_TYPE_AUTH, COLLECTION_TYPE_VIEW),
        (v) => this.ensureNoTypeChange(v),
      ],
      [
        "name",
        next.name,
        required,
        length(1, 255),
        checkForVia,
        match(COLLECTION_NAME_RE),
        (v) => this.ensureNoSystemNameChange(v),
        () => this.facts.nameError,
      ],
      [
        "fields",
        next.fields,
        (v) => this.checkFieldDuplicates(v as FieldsList),
        (v) => this.checkMinFields(v as FieldsList),
        when(!next.isView(), [
          (v) => this.ensureNoSystemFieldsChange(v as FieldsList),
          (v) => this.ensureNoFieldsTypeChange(v as FieldsList),
        ]),
        when(next.isAuth(), [(v) => this.checkReservedAuthKeys(v as FieldsList)]),
        (v) => this.checkFieldValidators(v as FieldsList),
      ],
      ["listRule", next.listRule, ...ruleFor(next.listRule, original.listRule)],
      ["viewRule", next.viewRule, ...ruleFor(next.viewRule, original.viewRule)],
      ["createRule", next.createRule, ...ruleFor(next.createRule, original.createRule, when(next.isView(), [nil]))],
      ["updateRule", next.updateRule, ...ruleFor(next.updateRule, original.updateRule, when(next.isView(), [nil]))],
      ["deleteRule", next.deleteRule, ...ruleFor(next.deleteRule, original.deleteRule, when(next.isView(), [nil]))],
      ["indexes", next.indexes, (v) => this.checkIndexes(v as string[])],
    ]);

    let optionsErr: ValidationErrors | null = null;
    if (next.isAuth()) optionsErr = this.validateAuthOptions();
    else if (next.isView())
      optionsErr = validateStruct([["viewQuery", next.viewQuery, required, () => this.facts.viewQueryError]]);

    return joinValidationErrors(baseErr, optionsErr);
  }

  private uniqueId(v: unknown): Error | null {
    if (typeof v !== "string" || v === "" || !this.facts.idTaken) return null;
    return newError("validation_invalid_or_existing_id", "The model id is invalid or already exists.");
  }

  /**
   * An id equal to another collection's name would make `/api/collections/<that name>/...` ambiguous
   * (lookups take ids and names alike). Upstream checks only the name side (below); we refuse both.
   */
  private checkIdNotOtherName(v: unknown): Error | null {
    if (typeof v !== "string" || v === "" || !this.facts.idIsOtherName) return null;
    return newError("validation_collection_id_name_duplicate", "The id must not match an existing collection name.");
  }

  private async checkUniqueName(v: unknown): Promise<Error | null> {
    const name = typeof v === "string" ? v : "";
    if (!(await isCollectionNameUnique(this.app, name, this.original.id))) {
      return newError("validation_collection_name_exists", "Collection name must be unique (case insensitive).");
    }
    if (await collectionIdExists(this.app, name)) {
      return newError("validation_collection_name_id_duplicate", "The name must not match an existing collection id.");
    }
    if (
      this.original.name !== name &&
      (await isCollectionNameUnique(this.app, name)) &&
      (await this.app.hasTable(name))
    ) {
      return newError(
        "validation_collection_name_invalid",
        "The name shouldn't match with an existing internal table.",
      );
    }
    return null;
  }

  private ensureNoSystemNameChange(v: unknown): Error | null {
    const o = this.original;
    if (!o.isNew() && o.system && v !== o.name) {
      return newError("validation_collection_system_name_change", "System collection name cannot be changed.");
    }
    return null;
  }

  private ensureNoSystemFlagChange(v: unknown): Error | null {
    const o = this.original;
    if (!o.isNew() && v !== o.system) {
      return newError("validation_collection_system_flag_change", "System collection state cannot be changed.");
    }
    return null;
  }

  private ensureNoTypeChange(v: unknown): Error | null {
    const o = this.original;
    if (!o.isNew() && v !== o.type)
      return newError("validation_collection_type_change", "Collection type cannot be changed.");
    return null;
  }

  private ensureNoFieldsTypeChange(fields: FieldsList): Error | null {
    const errs: Record<string, FieldError> = {};
    fields.forEach((field, i) => {
      const old = this.original.fields.getById(field.id);
      if (old && old.type !== field.type)
        errs[String(i)] = newError("validation_field_type_change", "Field type cannot be changed.");
    });
    return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
  }

  private checkFieldDuplicates(fields: FieldsList): Error | null {
    const ids: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (ids.includes(field.id)) {
        return new ValidationErrors({
          [String(i)]: new ValidationErrors({
            id: newError(
              "validation_duplicated_field_id",
              `Duplicated or invalid field id ${JSON.stringify(field.id)}`,
            ),
          }),
        });
      }
      // names are column names: unique case-insensitively
      const lower = field.name.toLowerCase();
      if (names.includes(lower)) {
        return new ValidationErrors({
          [String(i)]: new ValidationErrors({
            name: newError("validation_duplicated_field_name", "Duplicated or invalid field name {{.fieldName}}", {
              fieldName: field.name,
            }),
          }),
        });
      }
      ids.push(field.id);
      names.push(lower);
    }
    return null;
  }

  private checkFieldValidators(fields: FieldsList): Error | null {
    // `fields` is `next.fields`, whose settings errors `loadFacts` collected by position
    const errs: Record<string, FieldError | ValidationErrors> = {};
    fields.forEach((_field, i) => {
      const err = this.facts.fieldErrors.get(i);
      if (err) errs[String(i)] = asItem(err);
    });
    return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
  }

  private async checkViewQuery(v: unknown): Promise<Error | null> {
    if (typeof v !== "string" || v === "") return null;
    try {
      await dryRunView(this.app, v, 10);
      return null;
    } catch (err) {
      let raw = (err as Error).message;
      if (raw.length > 500) raw = raw.slice(0, 500);
      return newError("validation_invalid_view_query", "Invalid query - " + raw);
    }
  }

  private checkReservedAuthKeys(fields: FieldsList): Error | null {
    const errs: Record<string, ValidationErrors> = {};
    fields.forEach((field, i) => {
      if (RESERVED_AUTH_KEYS.includes(field.name)) {
        errs[String(i)] = new ValidationErrors({
          name: newError("validation_reserved_field_name", "The field name is reserved and cannot be used."),
        });
      }
    });
    return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
  }

  private checkMinFields(fields: FieldsList): Error | null {
    if (fields.length === 0) return newError("validation_required", "cannot be blank");
    const id = fields.getByName(FIELD_NAME_ID);
    if (!(id instanceof TextField) || !id.primaryKey) {
      return newError("validation_missing_primary_key", `Missing or invalid "id" PK field.`);
    }
    if (this.next.type !== COLLECTION_TYPE_AUTH) return null;

    const password = fields.getByName(FIELD_NAME_PASSWORD);
    if (!(password instanceof PasswordField))
      return newError("validation_missing_password_field", `System "password" field is required.`);
    if (!password.hidden || !password.system)
      return new ValidationErrors({ [FIELD_NAME_PASSWORD]: errMustBeSystemAndHidden() });

    const tokenKey = fields.getByName(FIELD_NAME_TOKEN_KEY);
    if (!(tokenKey instanceof TextField))
      return newError("validation_missing_tokenKey_field", `System "tokenKey" field is required.`);
    if (!tokenKey.hidden || !tokenKey.system)
      return new ValidationErrors({ [FIELD_NAME_TOKEN_KEY]: errMustBeSystemAndHidden() });

    const email = fields.getByName(FIELD_NAME_EMAIL);
    if (!(email instanceof EmailField))
      return newError("validation_missing_email_field", `System "email" field is required.`);
    if (!email.system) return new ValidationErrors({ [FIELD_NAME_EMAIL]: errMustBeSystem() });

    const visibility = fields.getByName(FIELD_NAME_EMAIL_VISIBILITY);
    if (!(visibility instanceof BoolField)) {
      return newError("validation_missing_emailVisibility_field", `System "emailVisibility" field is required.`);
    }
    if (!visibility.system) return new ValidationErrors({ [FIELD_NAME_EMAIL_VISIBILITY]: errMustBeSystem() });

    const verified = fields.getByName(FIELD_NAME_VERIFIED);
    if (!(verified instanceof BoolField))
      return newError("validation_missing_verified_field", `System "verified" field is required.`);
    if (!verified.system) return new ValidationErrors({ [FIELD_NAME_VERIFIED]: errMustBeSystem() });
    return null;
  }

  private ensureNoSystemFieldsChange(fields: FieldsList): Error | null {
    if (this.original.isNew()) return null;
    for (const old of this.original.fields) {
      if (!old.system) continue;
      const next = fields.getById(old.id);
      if (!next || next.name !== old.name) {
        return newError("validation_system_field_change", "System fields cannot be deleted or renamed.");
      }
    }
    return null;
  }

  private checkFieldsForUniqueIndex(names: string[]): Error | null {
    for (const name of names) {
      if (!this.next.fields.getByName(name)) {
        return newError("validation_missing_field", "Invalid or missing field {{.fieldName}}", { fieldName: name });
      }
      if (!findSingleColumnUniqueIndex(this.next.indexes, name)) {
        return newError(
          "validation_missing_unique_constraint",
          "The field {{.fieldName}} doesn't have a UNIQUE constraint.",
          {
            fieldName: name,
          },
        );
      }
    }
    return null;
  }

  private checkRule(v: unknown): Error | null {
    if (typeof v !== "string" || v === "") return null;
    try {
      checkRuleSyntax(this.app, this.next, v);
      return null;
    } catch (err) {
      const message = (err as Error).message;
      return newError(
        "validation_invalid_rule",
        message.startsWith("Invalid rule.") ? message : "Invalid rule. Raw error: " + message,
      );
    }
  }

  private ensureNoSystemRuleChange(v: unknown, old: string | null): Error | null {
    const o = this.original;
    if (o.isNew() || !o.system) return null;
    const rule = v === undefined ? null : (v as string | null);
    if (rule === old) return null;
    return newError("validation_collection_system_rule_change", "System collection API rule cannot be changed.");
  }

  private checkIndexes(indexes: string[]): Error | null {
    const { next, original } = this;
    if (next.isView() && indexes.length > 0) {
      return newError("validation_indexes_not_supported", "View collections don't support indexes.");
    }
    const names = new Set<string>();
    const definitions = new Set<string>();
    for (let i = 0; i < indexes.length; i++) {
      const parsed = parseIndex(indexes[i]!);
      // the table name is always rewritten to the collection's own
      parsed.tableName = "validator";
      if (!isValidIndex(parsed)) {
        return new ValidationErrors({
          [String(i)]: newError("validation_invalid_index_expression", "Invalid CREATE INDEX expression."),
        });
      }
      const lowerName = parsed.indexName.toLowerCase();
      if (names.has(lowerName)) {
        return new ValidationErrors({
          [String(i)]: newError("validation_duplicated_index_name", "The index name already exists."),
        });
      }
      names.add(lowerName);

      // index names are global to the database
      const used = { tbl_name: this.facts.indexTables.get(lowerName) ?? "" };
      if (used.tbl_name) {
        return new ValidationErrors({
          [String(i)]: newError(
            "validation_existing_index_name",
            "The index name is already used in {{.usedTableName}} collection.",
            {
              usedTableName: used.tbl_name,
            },
          ),
        });
      }

      parsed.schemaName = "validator";
      parsed.indexName = "validator";
      const definition = buildIndex(parsed);
      if (definitions.has(definition)) {
        return new ValidationErrors({
          [String(i)]: newError("validation_duplicated_index_definition", "The index definition already exists."),
        });
      }
      definitions.add(definition);
    }

    // UNIQUE indexes on system fields must stay (name, table, WHERE, collation and order aside)
    if (!original.isNew()) {
      outer: for (const oldIndex of original.indexes) {
        const oldParsed = parseIndex(oldIndex);
        if (!oldParsed.unique) continue;
        for (const c of oldParsed.columns) {
          c.collate = "";
          c.sort = "";
        }
        const oldDef = buildIndex(oldParsed);
        for (const column of oldParsed.columns) {
          for (const f of original.fields) {
            if (!f.system || column.name.toLowerCase() !== f.name.toLowerCase()) continue;
            const kept = next.indexes.some((raw) => {
              const p = parseIndex(raw);
              p.schemaName = oldParsed.schemaName;
              p.indexName = oldParsed.indexName;
              p.tableName = oldParsed.tableName;
              p.where = oldParsed.where;
              for (const c of p.columns) {
                c.collate = "";
                c.sort = "";
              }
              return buildIndex(p) === oldDef;
            });
            if (!kept) {
              return newError(
                "validation_invalid_unique_system_field_index",
                "Unique index definition on system fields ({{.fieldName}}) is invalid or missing.",
                { fieldName: f.name },
              );
            }
            continue outer;
          }
        }
      }
    }

    // auth collections created or imported without them (the save re-adds them anyway)
    if (next.isAuth()) {
      for (const name of [FIELD_NAME_TOKEN_KEY, FIELD_NAME_EMAIL]) {
        if (!findSingleColumnUniqueIndex(indexes, name)) {
          return newError(
            "validation_missing_required_unique_index",
            `Missing required unique index for field "{{.fieldName}}".`,
            {
              fieldName: name,
            },
          );
        }
      }
    }
    return null;
  }

  // --- auth options ---

  private validateAuthOptions(): ValidationErrors | null {
    const c = this.next;
    const o = this.original;
    const err = validateStruct([
      ["authRule", c.authRule, (v) => this.checkRule(v), (v) => this.ensureNoSystemRuleChange(v, o.authRule)],
      [
        "manageRule",
        c.manageRule,
        nilOrNotEmpty,
        (v) => this.checkRule(v),
        (v) => this.ensureNoSystemRuleChange(v, o.manageRule),
      ],
      ["authAlert", c.authAlert, () => nested({ emailTemplate: templateErrors(c.authAlert.emailTemplate) })],
      [
        "passwordAuth",
        c.passwordAuth,
        () =>
          c.passwordAuth.enabled
            ? nested({
                identityFields: firstError(toUniqueStringSlice(c.passwordAuth.identityFields ?? []), [required]),
              })
            : null,
      ],
      ["oauth2", c.oauth2, () => this.oauth2Errors()],
      [
        "otp",
        c.otp,
        () =>
          validateStruct([
            ["duration", c.otp.duration, when(c.otp.enabled, [required, min(10), max(86400)])],
            ["length", c.otp.length, when(c.otp.enabled, [required, min(4)])],
            ["emailTemplate", c.otp.emailTemplate, () => templateErrors(c.otp.emailTemplate)],
          ]),
      ],
      [
        "mfa",
        c.mfa,
        () => validateStruct([["duration", c.mfa.duration, when(c.mfa.enabled, [required, min(10), max(86400)])]]),
      ],
      ["authToken", c.authToken, () => tokenErrors(c.authToken)],
      ["passwordResetToken", c.passwordResetToken, () => tokenErrors(c.passwordResetToken)],
      ["emailChangeToken", c.emailChangeToken, () => tokenErrors(c.emailChangeToken)],
      ["verificationToken", c.verificationToken, () => tokenErrors(c.verificationToken)],
      ["fileToken", c.fileToken, () => tokenErrors(c.fileToken)],
      ["verificationTemplate", c.verificationTemplate, () => templateErrors(c.verificationTemplate)],
      ["resetPasswordTemplate", c.resetPasswordTemplate, () => templateErrors(c.resetPasswordTemplate)],
      ["confirmEmailChangeTemplate", c.confirmEmailChangeTemplate, () => templateErrors(c.confirmEmailChangeTemplate)],
    ]);
    if (err) return err;

    if (c.mfa.enabled) {
      const enabled = [c.passwordAuth.enabled, c.oauth2.enabled, c.otp.enabled].filter(Boolean).length;
      if (enabled < 2) {
        return new ValidationErrors({
          mfa: new ValidationErrors({
            enabled: newError("validation_mfa_not_enough_auths", "MFA requires at least 2 auth methods to be enabled."),
          }),
        });
      }
      if (c.mfa.rule !== "") {
        const ruleErr = this.checkRule(c.mfa.rule) ?? this.ensureNoSystemRuleChange(c.mfa.rule, o.mfa.rule);
        if (ruleErr) return new ValidationErrors({ mfa: new ValidationErrors({ rule: asItem(ruleErr) }) });
      }
    }

    if (c.passwordAuth.enabled) {
      const idErr = this.checkFieldsForUniqueIndex(c.passwordAuth.identityFields ?? []);
      if (idErr) return new ValidationErrors({ passwordAuth: new ValidationErrors({ identityFields: asItem(idErr) }) });
    }
    return null;
  }

  private oauth2Errors(): ValidationErrors | null {
    const cfg = this.next.oauth2;
    if (!cfg.enabled) return null;
    const providers = cfg.providers ?? [];
    // duplicates first, then each provider's own settings
    const seen = new Set<string>();
    for (let i = 0; i < providers.length; i++) {
      const name = providers[i]!.name;
      if (name === "") continue;
      if (seen.has(name)) {
        return nested({
          providers: new ValidationErrors({
            [String(i)]: new ValidationErrors({
              name: newError("validation_duplicated_provider", "The provider {{.name}} is already registered.", {
                name,
              }),
            }),
          }),
        });
      }
      seen.add(name);
    }
    const perProvider: Record<string, ValidationErrors> = {};
    providers.forEach((p, i) => {
      const err = providerErrors(p);
      if (err) perProvider[String(i)] = err;
    });
    return Object.keys(perProvider).length > 0 ? nested({ providers: new ValidationErrors(perProvider) }) : null;
  }
}

/** A nested error map from the non-null entries (null when all are null). */
function nested(entries: Record<string, Error | null>): ValidationErrors | null {
  const errs: Record<string, FieldError | ValidationErrors> = {};
  for (const [k, v] of Object.entries(entries)) if (v) errs[k] = asItem(v);
  return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
}

function templateErrors(t: EmailTemplate): ValidationErrors | null {
  return validateStruct([
    ["subject", t.subject, required],
    ["body", t.body, required],
  ]);
}

function tokenErrors(t: TokenConfig): ValidationErrors | null {
  return validateStruct([
    ["secret", t.secret, required, length(30, 255)],
    ["duration", t.duration, required, min(10), max(94670856)],
  ]);
}

function providerErrors(p: OAuth2ProviderConfig): ValidationErrors | null {
  const checkName: Rule = (v) =>
    typeof v === "string" && v !== "" && !isOAuth2ProviderName(v)
      ? newError("validation_missing_provider", "Invalid or missing provider with name {{.name}}.", { name: v })
      : null;
  return validateStruct([
    ["name", p.name, required, checkName],
    ["clientId", p.clientId, required],
    ["clientSecret", p.clientSecret, required],
    ["authURL", p.authURL, url],
    ["tokenURL", p.tokenURL, url],
    ["userInfoURL", p.userInfoURL, url],
  ]);
}
