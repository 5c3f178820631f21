/**
 * The default e-mail templates of auth collections. They are data that must match upstream byte for
 * byte: they are stored in `_collections.options`, and a system migration swaps a template only when
 * the stored body equals a known default.
 */

/** Placeholders the mail sender substitutes in subjects and bodies. */
export const EMAIL_PLACEHOLDER_APP_NAME = "{APP_NAME}";
export const EMAIL_PLACEHOLDER_APP_URL = "{APP_URL}";
export const EMAIL_PLACEHOLDER_TOKEN = "{TOKEN}";
export const EMAIL_PLACEHOLDER_OTP = "{OTP}";
export const EMAIL_PLACEHOLDER_OTP_ID = "{OTP_ID}";
export const EMAIL_PLACEHOLDER_ALERT_INFO = "{ALERT_INFO}";

/** An e-mail subject and HTML body with placeholders. */
export interface EmailTemplate {
  subject: string;
  body: string;
}

const SIGNATURE = `<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`;

/** Sent to confirm an auth record's e-mail address. */
export const DEFAULT_VERIFICATION_TEMPLATE: EmailTemplate = {
  subject: "Verify your {APP_NAME} email",
  body: `<p>Hello,</p>
<p>Thank you for joining us at {APP_NAME}.</p>
<p>Click on the button below to verify your email address.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}" target="_blank" rel="noopener">Verify</a>
</p>
<p><i>If you didn't recently register, please ignore this email.</i></p>
${SIGNATURE}`,
};

/** Sent for a password reset request. */
export const DEFAULT_RESET_PASSWORD_TEMPLATE: EmailTemplate = {
  subject: "Reset your {APP_NAME} password",
  body: `<p>Hello,</p>
<p>Click on the button below to reset your password.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}" target="_blank" rel="noopener">Reset password</a>
</p>
<p><i>If you didn't ask to reset your password, please ignore this email.</i></p>
${SIGNATURE}`,
};

/** Sent to confirm a new e-mail address. */
export const DEFAULT_CONFIRM_EMAIL_CHANGE_TEMPLATE: EmailTemplate = {
  subject: "Confirm your {APP_NAME} new email address",
  body: `<p>Hello,</p>
<p>Click on the button below to confirm your new email address.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}" target="_blank" rel="noopener">Confirm new email</a>
</p>
<p><i>If you didn't ask to change your email address, please ignore this email.</i></p>
${SIGNATURE}`,
};

/** Sent with a one-time password. */
export const DEFAULT_OTP_TEMPLATE: EmailTemplate = {
  subject: "OTP for {APP_NAME}",
  body: `<p>Hello,</p>
<p>Your one-time password is: <strong>{OTP}</strong></p>
<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>
${SIGNATURE}`,
};

/** Sent after a login from a new location. */
export const DEFAULT_AUTH_ALERT_TEMPLATE: EmailTemplate = {
  subject: "Login from a new location",
  body: `<p>Hello,</p>
<p>We noticed a login to your {APP_NAME} account from a new location:</p>
<p><em>{ALERT_INFO}</em></p>
<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>
<p>If this was you, you may disregard this email.</p>
${SIGNATURE}`,
};

/** The auth-alert body used before v0.32; the 1763020353 migration replaces it with the current one. */
export const OLD_AUTH_ALERT_TEMPLATE_BODY = `<p>Hello,</p>
<p>We noticed a login to your {APP_NAME} account from a new location.</p>
<p>If this was you, you may disregard this email.</p>
<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>
${SIGNATURE}`;
