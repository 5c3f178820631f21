/**
 * The one error type the search tools throw for bad input (syntax, unknown fields, limits).
 * Callers map it to their own response (the records API answers a generic 400); anything else
 * escaping the search code is a bug.
 */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

/** The filter is longer than the allowed number of characters. */
export const ERR_FILTER_LENGTH_LIMIT = "max filter length limit reached";
/** The filter has more comparisons than allowed. */
export const ERR_FILTER_EXPR_LIMIT = "max filter expressions limit reached";
/** The sort has more fields than allowed. */
export const ERR_SORT_EXPR_LIMIT = "max sort expressions limit reached";
/** A sort field is longer than allowed. */
export const ERR_SORT_FIELD_LENGTH_LIMIT = "max sort field length limit reached";
