/** System emails and the app's mail client. */
export { newMailClient, describeMail, logMailError } from "./client.ts";
export {
  resolveEmailTemplate,
  escapeHTML,
  sendRecordVerification,
  sendRecordPasswordReset,
  sendRecordChangeEmail,
  sendRecordOTP,
  sendRecordAuthAlert,
} from "./record.ts";
export { wrapInLayout } from "./layout.ts";
