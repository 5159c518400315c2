/** JT808_REGISTRATION: what happens to a terminal the registry does not know when it registers (0x0100). */
export const REGISTRATION_POLICIES = ['open', 'quarantine', 'closed'] as const;
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];
