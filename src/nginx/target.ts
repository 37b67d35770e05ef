// Where the live upstream file is and how Nginx is tested and reloaded.
export interface NginxTarget {
  live: string;
  home: string;
  // The configured pid-file: the last place a reload's verification looks (see findMaster).
  pidFile: string;
  testCmd: string;
  reloadCmd: string;
  // Set when no nginx binary was found for the default commands: what to configure.
  missing?: string;
  verifyUrl?: string | undefined;
  reloadTimeoutMs: number;
}
