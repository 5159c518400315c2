/**
 * What a password must be, wherever one is set (ADMIN_PASSWORD, the operator CLI, the API):
 * at least 12 characters, not the username, not one of the passwords every guessing list
 * starts with. Length is what slows an offline guess; the list stops the online ones that a
 * lockout alone would let through one user at a time.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

/**
 * Common passwords of 12 characters or more (shorter ones fail on length already), and the
 * placeholders people copy from examples. Compared case-insensitively.
 */
const COMMON_PASSWORDS = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789123', '111111111111', '000000000000',
  '123123123123', 'qwertyuiopas', 'qwertyuiop123', 'qwerty123456', '1q2w3e4r5t6y', '1qaz2wsx3edc',
  'zaq12wsxcde3', 'password1234', 'password12345', 'password123456', 'passw0rd1234', 'p@ssw0rd1234',
  'p@ssword1234', 'passwordpassword', 'iloveyou1234', 'administrator', 'administrator1', 'admin1234567',
  'admin123456789', 'adminadminadmin', 'adminpassword', 'letmein12345', 'welcome12345', 'welcome123456',
  'changeme1234', 'changeme12345', 'changemenow!', 'change-me-now', 'changethispassword', 'defaultpassword',
  'default12345', 'secret123456', 'supersecret123', 'mypassword123', 'abcdefghijkl', 'abc123456789',
  'abcd12345678', 'a1b2c3d4e5f6', 'football1234', 'baseball1234', 'sunshine1234', 'princess1234',
  'dragon123456', 'monkey123456', 'trustno1trustno1', 'cityops12345', 'cityopsadmin', 'cityops-admin',
  'cityopscommand', 'woaini1314520', 'woaini123456', '5201314520131', 'aa123456789a', 'qq123456789q',
]);

export type PasswordProblem = 'too_short' | 'too_long' | 'same_as_username' | 'common';

/** The first rule a password breaks, or undefined when it may be set. */
export function passwordProblem(password: string, username: string): PasswordProblem | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (password.length > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  const name = username.toLowerCase();
  // The username with a digit or two appended is as guessable as the username itself.
  if (name.length > 0 && (lower === name || lower.replace(/[0-9!._-]+$/, '') === name || lower.includes(name.repeat(2)))) return 'same_as_username';
  if (COMMON_PASSWORDS.has(lower)) return 'common';
  return undefined;
}

/** For people: what to do, never the password itself. */
export function describePasswordProblem(problem: PasswordProblem): string {
  switch (problem) {
    case 'too_short': return `the password must have at least ${PASSWORD_MIN_LENGTH} characters`;
    case 'too_long': return `the password must have at most ${PASSWORD_MAX_LENGTH} characters`;
    case 'same_as_username': return 'the password must not be the username';
    case 'common': return 'the password is on the list of common passwords; choose another';
  }
}

export class PasswordPolicyError extends Error {
  override name = 'PasswordPolicyError';
  constructor(readonly problem: PasswordProblem) {
    super(describePasswordProblem(problem));
  }
}

/** Throws PasswordPolicyError when the password may not be set. */
export function assertPasswordAllowed(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new PasswordPolicyError(problem);
}
