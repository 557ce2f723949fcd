// The signature table. Patterns are matched against normalized text (normalize.h): percent
// escapes, %u, overlong UTF-8 and (in queries and headers) HTML entities are already decoded and
// ASCII is lowercase, so a pattern is written once in lowercase and meets every evasion. In the
// decoded path '\' is already '/' and '/' runs are collapsed; in the query they are not, so query
// patterns accept both slashes.
//
// Precision rules of thumb used throughout: a word alone never fires (select, union, alert, cat,
// passwd); a rule needs the structure only an attack has (a separator before a command, a tag
// around a handler, a lookup around "jndi:", a traversal or absolute path around a file name).
#include "rules.h"

#include <array>

namespace mamori::detect::rules {
namespace {

constexpr uint8_t kT = kTarget;
constexpr uint8_t kP = kPath;
constexpr uint8_t kQ = kQuery;
constexpr uint8_t kU = kUserAgent;
constexpr uint8_t kR = kReferer;
constexpr uint8_t kH = kHeader;
constexpr uint8_t kTUR = kT | kU | kR;
constexpr uint8_t kAny = kT | kU | kR | kH;

constexpr CategoryMask kNone = 0;
constexpr CategoryMask kAlsoTraversal = maskOf(Category::kPathTraversal);
constexpr CategoryMask kAlsoFile = maskOf(Category::kSensitiveFile);
constexpr CategoryMask kAlsoCmd = maskOf(Category::kCommandInjection);
constexpr CategoryMask kAlsoSsti = maskOf(Category::kSsti);
constexpr CategoryMask kAlsoSsrf = maskOf(Category::kSsrf);
constexpr CategoryMask kAlsoExploit = maskOf(Category::kExploit);

constexpr Category kSqli = Category::kSqli;
constexpr Category kTrav = Category::kPathTraversal;
constexpr Category kFile = Category::kSensitiveFile;
constexpr Category kCmd = Category::kCommandInjection;
constexpr Category kXss = Category::kXss;
constexpr Category kSsti = Category::kSsti;
constexpr Category kL4s = Category::kLog4shell;
constexpr Category kSsrf = Category::kSsrf;
constexpr Category kScan = Category::kScanner;
constexpr Category kExpl = Category::kExploit;

// Command names as shells read them: quotes, backslashes and carets between letters vanish
// (c'a't, c\at, w^h^o^a^m^i), and so do empty expansions ($@, $1, ${}, $(), ``). In a pattern
// template, a word list between '!' marks is expanded with kNameEvasion between every two letters,
// so each list is written once, plainly.
constexpr std::string_view kNameEvasion = R"((['"\\^]|\$[@*0-9]|\$\(\)|\$\{\}|``)*)";

constexpr bool isLowerLetter(char c) {
  return c >= 'a' && c <= 'z';
}

// Size of the expansion of `t`, with its NUL.
constexpr std::size_t expandedSize(std::string_view t) {
  std::size_t n = 1;
  bool inWords = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '!') {
      inWords = !inWords;
      continue;
    }
    ++n;
    if (inWords && isLowerLetter(t[i]) && i + 1 < t.size() && isLowerLetter(t[i + 1])) {
      n += kNameEvasion.size();
    }
  }
  return n;
}

template <std::size_t N>
constexpr std::array<char, N> expandNames(std::string_view t) {
  std::array<char, N> out{};
  std::size_t o = 0;
  bool inWords = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '!') {
      inWords = !inWords;
      continue;
    }
    out[o++] = t[i];
    if (inWords && isLowerLetter(t[i]) && i + 1 < t.size() && isLowerLetter(t[i + 1])) {
      for (const char e : kNameEvasion) out[o++] = e;
    }
  }
  out[o] = '\0';
  return out;
}

// 4012: a shell separator, then a command name written plainly or broken up as above: a
// reconnaissance command ending the word, or a command followed by an argument an attack gives it
// (an option, a path, a variable, a URL, a redirection). Two-letter names (id, ls, ps) are left to
// 4001: with quotes allowed inside, they are English ("i'd", "p's").
constexpr std::string_view kEvadedCommandTemplate =
    R"re((;|&&|\|\|?|&\s|`|\$\(|[<>]\(|\n|\r)\s*['"]*((/usr)?/s?bin/)?()re"
    R"re((!whoami|uname|ifconfig|ipconfig|hostname|netstat|systeminfo|tasklist|printenv|getmac|pwd!)(\s|$|[;&|`)'"#<>]))re"
    R"re(|(!cat|tac|head|tail|more|less|base64|xxd|strings|grep|find|touch|chmod|chown|wget|curl|bash|ping|sleep|echo|type|dir|nslookup|python|perl|ruby|php|powershell|telnet|busybox!)(\s|\$\{?ifs\}?|<)+\s*(-[a-z]|/|~|\$|\.{1,2}/|%[a-z]|[a-z]:\\|https?://|ftp://|\d+\s*($|[;&|`)]))))re";
constexpr auto kEvadedCommand =
    expandNames<expandedSize(kEvadedCommandTemplate)>(kEvadedCommandTemplate);

// Shared fragments would make the table harder to read than the repetition they save; the few
// repeated lists (system directories, shell commands) are kept identical by hand.
// The table keeps its hand layout (one rule per entry, pattern on its own line): clang-format
// re-indents the whole initializer once it grows past a size.
// clang-format off
constexpr Rule kRules[] =
    {
        // ---------------------------------------------------------------- sqli (1000-1099)
        {kSqliTokenizerRuleId, kSqli, 0, false, kNone, "", "",
         "SQL tokenizer: a parameter value or path segment reads as an injection", nullptr},
        {1001, kSqli, kTUR, false, kNone, "", "", "UNION SELECT split by comments",
         R"re(\bunion\s*(/\*[^*]*\*+/\s*)+((all|distinct)\s*(/\*[^*]*\*+/\s*)*)?select\b|\bunion\s+(all|distinct)\s*(/\*[^*]*\*+/\s*)+select\b|/\*!\d*\s*(union|select)\b)re"},
        {1002, kSqli, kTUR, false, kNone, "", "", "UNION SELECT with a column-probing list",
         R"re(\bunion(\s+|\()+((all|distinct)(\s+|\()+)?\(?\s*select(\s+|\()+(null\b|\d+\s*(,|--|#|$|from\b)|@@|\*|(group_)?concat(_ws)?\s*\(|char\s*\(|0x[0-9a-f]|version\s*\(|user\s*\(|database\s*\(|table_name|column_name|schema_name|load_file|['"]))re"},
        {1003, kSqli, kTUR, false, kNone, "", "", "system catalog (information_schema and peers)",
         R"re(\binformation_schema\b|\bmysql\.(user|db)\b|\bsys\.(objects|tables|columns|databases|sql_logins|schemas)\b|\bmaster\.\.sys|\bsysobjects\b|\bsyscolumns\b|\bpg_(catalog|shadow|user|tables|namespace)\b|\bsqlite_(master|schema)\b|\ball_tab_columns\b|\buser_tables\b|\bmsysobjects\b)re"},
        {1004, kSqli, kTUR, false, kNone, "", "", "time delay function in an SQL context",
         R"re((\b(and|or|xor|select|if|when|then|else|not|rlike|like|union|by)\b|[,(;'"=|&+*-])\s*(/\*[^*]*\*+/\s*)*(sleep|pg_sleep)\s*\(\s*\(?\s*\d)re"},
        {1005, kSqli, kTUR, false, kNone, "", "", "WAITFOR DELAY/TIME",
         R"re(\bwaitfor\s+(delay|time)\s+['"]?\d)re"},
        {1006, kSqli, kTUR, false, kNone, "", "",
         "heavy query or sleep package (BENCHMARK, DBMS_LOCK)",
         R"re(\bbenchmark\s*\(\s*\d{4,}\s*,|\brandomblob\s*\(\s*\d{6,}|\bdbms_(pipe\.receive_message|lock\.sleep|session\.sleep)\b|\bgenerate_series\s*\(\s*1\s*,\s*\d{5,})re"},
        {1007, kSqli, kTUR, false, kNone, "", "", "stacked statement after a semicolon",
         R"re(;\s*(drop\s+(table|database|schema|user)\b|truncate\s+table\b|shutdown\s*(;|--|#|$)|exec(ute)?\s*\(?\s*(master\.|xp_|sp_|@)|declare\s+@|insert\s+into\s+[a-z_.`"\[\]]+\s*(\(|values\b|select\b)|update\s+[a-z_.`"\[\]]+\s+set\s+[a-z_]+\s*=|delete\s+from\s+[a-z_]|select\s+(pg_sleep|sleep|benchmark|@@|\*\s+from|case\b|if\s*\(|\d+\s*(--|#|;|$)|char\s*\()|copy\b[^;&]{0,200}\b(to|from)\s+program\b))re"},
        {1008, kSqli, kTUR, false, kNone, "", "", "MSSQL extended procedures and ad-hoc row sets",
         R"re(\b(xp_cmdshell|sp_oacreate|sp_oamethod|sp_executesql|xp_dirtree|xp_fileexist|xp_regread|xp_servicecontrol|sp_makewebtask|sp_configure\s*['"]?(xp_cmdshell|ole automation))\b|\b(openrowset|opendatasource)\s*\()re"},
        {1009, kSqli, kTUR, false, kNone, "", "", "file, out-of-band or error-based SQL functions",
         R"re(\bload_file\s*\(|\binto(\s|/\*[^*]*\*+/)+(out|dump)file\b|\butl_(http\.request|inaddr\.get_host|file\.)|\bdbms_(xmlgen|java|ldap)\b|\b(extractvalue|updatexml)\s*\(\s*(\d+|null|rand\(\))\s*,|\bctxsys\.drithsx|\bxmltype\s*\(\s*chr|\bexp\s*\(\s*~\s*\(|\bgtid_subset\s*\(|\bjson_keys\s*\(\s*\(\s*select)re"},
        {1010, kSqli, kTUR, false, kNone, "", "", "quote closed, then a tautology",
         R"re(['"`]\s*\)*\s*(or|\|\||xor)\s*\(*\s*(['"]?\d+['"]?\s*(=|<=>|<>|!=|>|<|\blike\b)\s*['"]?\d|['"][a-z0-9]*['"]\s*(=|<>|!=|\blike\b)\s*['"]|(true|not\s+false)\b\s*(--|#|$)))re"},
        {1011, kSqli, kTUR, false, kNone, "", "", "quote closed, then a comment cuts the query",
         R"re(['"]\s*\)*\s*(;\s*)?(--[\s+-]*|#)($|&)|['"]\)*/\*)re"},
        {1012, kSqli, kTUR, false, kNone, "", "", "boolean condition followed by a comment",
         R"re(\b(or|and)\s+(\d+|'[^']*'|"[^"]*")\s*(=|<>|!=|>|<)\s*(\d+|'[^']*'|"[^"]*")\s*(--|#|/\*|;))re"},
        {1013, kSqli, kTUR, false, kNone, "", "",
         "server variables, CHAR()/hex concatenation", R"re(@@(version|datadir|hostname|basedir|servername|tmpdir|plugin_dir)\b|\b(concat|concat_ws|group_concat)\s*\(\s*(0x[0-9a-f]{2}|char\s*\(|@@|'~'|0x7e)|\bchar\s*\(\s*\d+\s*(,\s*\d+\s*){3,}\)|\bcast\s*\(\s*0x[0-9a-f]{6,})re"},
        {1014, kSqli, kTUR, false, kNone, "", "", "ORDER BY / GROUP BY column probing",
         R"re(\border\s+by\s+\d+\s*(--|#|/\*|;)|\bgroup\s+by\s+[a-z0-9_.,\s]{1,60}\bhaving\s+\d+\s*=\s*\d+)re"},

        {1015, kSqli, kTUR, false, kNone, "", "", "PROCEDURE ANALYSE column probe",
         R"re(\bprocedure(\s|/\*[^*]*\*+/)+analyse\s*\()re"},
        {1016, kSqli, kTUR, false, kNone, "", "",
         "injected WHERE tautology or hex string comparison",
         R"re(\bwhere(\s|/\*[^*]*\*+/)+(\d+|'[^']*')\s*(=|<>|\blike\b)\s*(\d+|'[^']*')(\s|/\*[^*]*\*+/)+(and|or)\b|\b0x[0-9a-f]{2,}\s*=\s*0x[0-9a-f]{2,}\b)re"},
        {1017, kSqli, kTUR, false, kNone, "", "",
         "symbolic AND (&&) before a comparison of literals",
         R"re([\s)'"]&&\s*\(*\s*(\d+|'[^'&]*')\s*(=|<>|!=|<=>|>|<)\s*\(*\s*(\d+|'[^'&]*'))re"},
        {1018, kSqli, kTUR, false, kNone, "", "",
         "comparison or assignment with a subquery",
         R"re((\b(and|or|xor|not|where|having|when|set)\b|[,(])(\s|/\*[^*]*\*+/)*[a-z_][a-z0-9_.]*(\s|/\*[^*]*\*+/)*(=|<>|!=|<=?|>=?|\blike\b|\bin\b)(\s|/\*[^*]*\*+/)*\((\s|/\*[^*]*\*+/)*select(\s|/\*[^*]*\*+/|\()+(\d|\*|@@?[a-z]|null\b|top\b|distinct\b|[a-z_][a-z0-9_.]*(\s|/\*[^*]*\*+/)*(\(|,|from\b)))re"},
        {1019, kSqli, kTUR, false, kNone, "", "",
         "complete statement ending in a tautology",
         R"re(\bselect\b[^&]{1,80}\bfrom\b[^&]{1,80}\bwhere\b[^&]{0,80}\b(or|and)(\s|/\*[^*]*\*+/)+(\d+|'[^'&]*')\s*(=|<>|!=|>|<)\s*(\d+|'[^'&]*'))re"},

        // ---------------------------------------------------------------- path-traversal
        // (2000-2099)
        {kClimbedAboveRootRuleId, kTrav, 0, false, kNone, "", "",
         "path climbs above the web root after decoding", nullptr},
        {2002, kTrav, kP, false, kNone, "", "", "two parent segments in a row in the path",
         R"re((^|/)\.\./\.\.(/|$))re"},
        {2003, kTrav, kP, false, kNone, "", "", "parent segment into a system directory",
         R"re((^|/)\.\./+(etc|proc|windows|winnt|boot|usr|var|root|home|tmp|bin|sbin|dev|sys|opt|inetpub|web-inf|meta-inf)(/|$))re"},
        {2004, kTrav, kP, false, kNone, "", "",
         "Tomcat/Jetty path parameter on a dot segment (..;/ .;/)", R"re((^|/)\.\.?;[^/]*(/|$))re"},
        {2005, kTrav, kT, false, kNone, "", "", "filter-evasion dot runs (....// ..././)",
         R"re((^|[/\\=])(\.{4,}[/\\]|\.\.\.[/\\]\.[/\\]|\.\.[/\\]\.[/\\]\.\.[/\\]))re"},
        {2006, kTrav, kP, false, kNone, "", "", "repeated ./ segments", R"re((^|/)\./\./)re"},
        {2007, kTrav, kQ, false, kNone, "", "", "two parent segments in a row in the query",
         R"re(\.\.;?[/\\]+\.\.([/\\;]|$|&))re"},
        {2008, kTrav, kQ, false, kNone, "", "",
         "parent segment to a system or secret location in the query",
         R"re((^|[=&\s'"(:,])\.\.[/\\]+(etc|proc|windows|winnt|boot|usr|var|root|home|tmp|bin|sbin|dev|sys|opt|inetpub|web-inf|meta-inf|wp-config|config|conf|includes?|\.env|\.git|\.ssh|\.aws|\.ht))re"},
        {2009, kTrav, kQ, false, kNone, "", "", "parameter value climbs to a server-side file",
         R"re((^|[=&])\.\.[/\\]+[^&]*\.(php\d?|inc|conf|cfg|ini|xml|json|ya?ml|log|txt|env|bak|sql|jsp|asp|aspx|py|sh|pl|cgi|key|pem|db|properties|config)($|&))re"},
        {2010, kTrav, kQ, false, kNone, "", "", "absolute system path as a parameter value",
         R"re((^|[=&])\s*(file:[/\\]*)?([/\\]+(etc[/\\]+[a-z]|proc[/\\]+(self|\d|version|cpuinfo|meminfo|net[/\\])|root[/\\]+\.|var[/\\]+(log|lib|mail|spool|run|www)[/\\]|usr[/\\]+(local[/\\]+)?(etc|bin|sbin|lib)[/\\])|[a-z]:[/\\]+(windows|winnt|boot\.ini|inetpub|users|documents and settings|program files|programdata)))re"},
        {2011, kTrav, kQ, false, kNone, "", "",
         "Tomcat path parameter on a parent segment in the query (..;/)",
         R"re((^|[=&/\\])\.\.;[^/\\&]*[/\\])re"},

        // ---------------------------------------------------------------- sensitive-file
        // (3000-3099)
        {3001, kFile, kT, false, kNone, "", "", "Unix account files (/etc/passwd, /etc/shadow)",
         R"re((^|[/\\=\s:])etc[/\\]+(passwd|shadow|gshadow|group|master\.passwd|sudoers|security[/\\]+(passwd|opasswd))\b)re"},
        {3002, kFile, kT, false, kNone, "", "", "Unix system configuration files",
         R"re((^|=|\.\.|file:)[/\\]*etc[/\\]+(hosts|hostname|issue|motd|crontab|fstab|resolv\.conf|environment|ssh[/\\]+sshd?_config|mysql[/\\]+my\.cnf|my\.cnf|httpd[/\\]+conf[/\\]|apache2[/\\]+apache2\.conf|nginx[/\\]+nginx\.conf|php[/\\]|redis|openvpn|krb5\.conf|ldap)\b)re"},
        {3003, kFile, kT, false, kNone, "", "", "process information (/proc/self/environ)",
         R"re((^|[/\\=])proc[/\\]+((self|thread-self|\d+)[/\\]+(environ|cmdline|maps|status|mounts|fd|cwd|root|exe|stat|mem)\b|version\b|cpuinfo\b|meminfo\b|mounts\b|net[/\\]))re"},
        {3004, kFile, kT, false, kNone, "", "", "Windows system files (win.ini, boot.ini, SAM)",
         R"re(\b(win|system|boot)\.ini\b|\bwindows[/\\]+(system32|syswow64)[/\\]+(config[/\\]+(sam|system|security|software)\b|drivers[/\\]+etc[/\\]+hosts|inetsrv[/\\]+config)|\b(windows|winnt)[/\\]+(repair[/\\]+sam|panther[/\\]+unattend|debug[/\\]+netsetup\.log)|\binetpub[/\\]+wwwroot[/\\]+web\.config)re"},
        {3005, kFile, kT, false, kNone, "", "", "web server configuration (web.config, WEB-INF)",
         R"re((^|[/\\=])(web\.config|applicationhost\.config)\b|(^|[/\\=])web-inf([/\\]|$))re"},
        {3006, kFile, kT, false, kNone, "", "", "environment file (.env)",
         R"re((^|[/\\=])\.env(\.[a-z0-9_-]+)?($|[?&/\s~#]))re"},
        {3007, kFile, kT, false, kNone, "", "", "version control metadata (.git/, .svn/, .hg/)",
         R"re((^|[/\\=])\.(git|svn|hg|bzr|cvs)([/\\]|$|[?&])|(^|[/\\=])\.git(ignore|attributes|modules|-credentials|config)\b|(^|/)cvs/(entries|root|repository)\b)re"},
        {3008, kFile, kT, false, kNone, "", "",
         "Apache/PHP access control files (.htaccess, .htpasswd)",
         R"re((^|[/\\=])\.(htaccess|htpasswd|htdigest|htgroup|user\.ini)\b|(^|[/\\=])php\.ini\b)re"},
        {3009, kFile, kT, false, kNone, "", "", "Finder metadata (.DS_Store)",
         R"re((^|[/\\=])\.ds_store\b)re"},
        {3010, kFile, kT, false, kNone, "", "",
         "WordPress configuration (wp-config.php and copies)", R"re(\bwp-config[.~_-])re"},
        {3011, kFile, kP, false, kNone, "", "", "backup copy of a server-side or config file",
         R"re(\.(php\d?|phtml|inc|asp|aspx|jsp|jspx|cfm|conf|config|cfg|ini|ya?ml|env|sql|properties|py|rb|pl|cgi|sh|htaccess|htpasswd)(~|\.(bak|bk|old|orig|save|sav|swp|swo|tmp|temp|backup|copy|dist|txt|\d))$)re"},
        {3012, kFile, kP, false, kNone, "", "", "backup or editor swap file",
         R"re((^|/)[^/]*\.(bak|bkp|old|orig|backup|save|sav|swp|swo)$|(^|/)[^/~]+~$)re"},
        {3013, kFile, kP, false, kNone, "", "", "site or database dump archive",
         R"re((^|/)(backups?|bak|bck|db|database|databases|dump|sqldump|mysql|mysqldump|site|website|web|www|wwwroot|htdocs|public_html|html|archive|old|home|root|admin|src|source|sources|temp|tmp|upload|uploads|wordpress|wp|wp-content|laravel|backend|prod|production|dev|test|localhost|\d{1,3}(\.\d{1,3}){3}|[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|info|biz|jp|gov|edu|io|co|de|uk|cn|ru))([_.-]?(backup|bak|\d{2,8}|full|all|old|new|latest|db|sql|dump|site|www))*\.(zip|rar|7z|tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|gz|bz2|xz|sql|sql\.gz|sql\.zip|sql\.bz2|sql\.7z|dump|bak)$)re"},
        {3014, kFile, kP, false, kNone, "", "", "database file or SQL dump",
         R"re(\.(sql|sql\.gz|sql\.bz2|sql\.zip|sql\.xz|sqlite|sqlite3|db|dump)$)re"},
        {3015, kFile, kT, false, kNone, "", "", "SSH keys and directories",
         R"re((^|[/\\=])id_(rsa|dsa|ecdsa|ed25519)(\.pub)?\b|(^|[/\\=])\.ssh([/\\]|$)|\bauthorized_keys\b)re"},
        {3016, kFile, kP, false, kNone, "", "", "private key or keystore file",
         R"re((^|/)(server|private|privkey|priv|ssl|tls|cert|key|site|localhost|client|apache|nginx|www|host|domain)\.(key|pem)$|\.(ppk|pfx|p12|jks|keystore|kdbx)$)re"},
        {3017, kFile, kT, false, kNone, "", "",
         "diagnostic endpoint (phpinfo, server-status, actuator)",
         R"re((^|/)(phpinfo|php_info|php-info|info|pinfo|test-info)\.php\b|(^|/)server-(status|info)(/|\?|$)|(^|/)(elmah|trace)\.axd\b|(^|/)actuator/(env|heapdump|configprops|threaddump|mappings|jolokia|logfile|httptrace|gateway/routes)\b|(^|/)_profiler/phpinfo\b|(^|/)debug/(pprof|vars)\b|(^|/)(jmx-console|web-console|invoker/jmxinvokerservlet)\b)re"},
        {3018, kFile, kT, false, kNone, "", "", "credential, history and client config files",
         R"re((^|[/\\=])\.(aws|azure|docker|kube|gcloud)[/\\]+(credentials|config)|(^|[/\\=])\.(npmrc|netrc|pgpass|my\.cnf|boto|s3cfg|git-credentials|dockercfg|pypirc|bash_history|zsh_history|sh_history|mysql_history|psql_history|python_history|php_history|node_repl_history|rediscli_history|sqlite_history|lesshst|viminfo|bashrc|bash_profile|zshrc|profile)\b|(^|/)(sftp-config\.json|\.vscode/sftp\.json|\.idea/(workspace|datasources)\.xml|\.ftpconfig|\.remote-sync\.json|filezilla\.xml|sitemanager\.xml|\.?ws_ftp\.ini)\b)re"},
        {3019, kFile, kT, false, kNone, "", "", "deployment and application secrets files", R"re((^|[/\\=])(docker-compose(\.[a-z0-9_-]+)?\.ya?ml|dockerfile|\.dockerenv|\.gitlab-ci\.yml|\.travis\.yml|jenkinsfile|\.circleci/config\.yml|\.github/workflows/|bitbucket-pipelines\.yml|\.drone\.yml|vagrantfile|ansible\.cfg|terraform\.tfstate(\.backup)?|\.terraform/|kubeconfig|secrets?\.(ya?ml|json|txt|env)|credentials\.(json|xml|ya?ml|txt)|database\.yml|config[/\\](database|secrets|master\.key|credentials\.yml\.enc|parameters\.yml|settings\.yml)|app[/\\]etc[/\\](local\.xml|env\.php)|sites[/\\]default[/\\](settings|default\.settings)\.php|configuration\.php-dist|localsettings\.php|settings\.py|config\.inc\.php|application\.(properties|ya?ml)|appsettings(\.[a-z]+)?\.json)($|[?&]))re"},
        {3020, kFile, kP, false, kNone, "", "", "project manifest at the site root",
         R"re(^/(package(-lock)?\.json|composer\.(json|lock)|yarn\.lock|gemfile(\.lock)?|requirements\.txt|pipfile(\.lock)?|go\.(mod|sum)|cargo\.toml|pom\.xml|build\.gradle|webpack\.config\.js|gruntfile\.js|gulpfile\.js|\.babelrc|\.eslintrc(\.json)?|tsconfig\.json|phpunit\.xml(\.dist)?)$)re"},
        {3021, kFile, kT, false, kNone, "", "", "server or application log file",
         R"re((^|/)(error_log|(access|error|debug|laravel|npm-debug|yarn-error|php_errors?|install|wp-debug|debug_log)\.log)($|[?&])|(^|[/\\=])var[/\\]+log[/\\]|(^|/)storage/logs/)re"},
        {3022, kFile, kT, false, kNone, "", "", "PHP filter wrapper (source disclosure)",
         R"re(\bphp://filter\b)re"},

        // ---------------------------------------------------------------- command-injection
        // (4000-4099)
        {4001, kCmd, kAny, false, kNone, "", "", "shell separator, then a reconnaissance command",
         R"re((;|&&|\|\|?|&\s|`|\$\(|[<>]\(|\n|\r)\s*((/usr)?/s?bin/)?)re"
         R"re((id|whoami|uname|ifconfig|ipconfig|systeminfo|hostname|pwd|getuid|ls|dir|netstat|ps|tasklist|printenv|getmac))re"
         R"re((\s|$|[;&|`)'"#<>]))re"
         R"re(|(;|&&|\|\|?|&\s|`|\$\(|\n|\r)\s*(env|ver)\s*($|[;&|`)]))re"},
        {4002, kCmd, kAny, false, kNone, "", "", "shell separator, then a command with arguments",
         R"re(([;|`\n\r]|&&|&\s|\$\(|[<>]\()\s*((/usr)?/s?bin/)?(cat\s+[/.~$])re"
         R"re(|(wget|curl)\s+(-[a-z-]+\s+)*(https?://|ftp://|\d+\.\d+|[a-z0-9-]+\.[a-z]{2,}))re"
         R"re(|nc(at)?\s+(-[a-z]+\s+)*[a-z0-9.-]+\s+\d+|(ba|z|da|k)?sh\s+-[ci]|sh\s+[/.]|ping\s+-[cn]\s*\d)re"
         R"re(|sleep\s+\d+|timeout\s+\d|powershell|pwsh\b|cmd(\.exe)?\s*/[ck]|certutil|bitsadmin|busybox)re"
         R"re(|echo\s+[a-z0-9'"$]|ls\s+(-[a-z]+|/)|rm\s+-[rf]|chmod\s+[0-7+]|nslookup\s|dig\s)re"
         R"re(|python[23]?\s+-c|perl\s+-e|php\s+-r|ruby\s+-e|base64\s+-d|tftp\s|telnet\s+[a-z0-9.]+)re"
         R"re(|uname\s+-[a-z]|type\s+[a-z]:|dir\s+[a-z]:|net\s+(user|localgroup)|whoami\s*/)re"
         R"re(|timeout\s+/t\s*\d|ip\s+(a|addr|address|route|link|neigh)\b|echo\s+%[a-z]|xterm\s+-display))re"},
        {4003, kCmd, kAny, false, kNone, "", "", "shell or interpreter path (/bin/sh, cmd.exe)",
         R"re(/bin/(ba|da|z|k|c|tc|a)?sh\b|/usr/bin/(env|python[23]?|perl|php|ruby|nc|ncat|wget|curl)\b|\bcmd\.exe\b|\bpowershell(\.exe)?\s+-(e|enc|encodedcommand|c|command|nop|noprofile|w|windowstyle|exec|executionpolicy)\b)re"},
        {4004, kCmd, kAny, false, kNone, "", "", "$IFS whitespace evasion",
         R"re(\$\{ifs(%%[^}]*)?\}|\$ifs\b|\$\{ifs:)re"},
        {4005, kCmd, kAny, false, kNone, "", "", "shell quoting or brace expansion evasion",
         R"re([;|`]\s*[a-z]+(''|""|\\)[a-z]+|\{(cat|ls|id|wget|curl|nc|bash|sh|ping|echo|sleep|whoami|uname|nslookup|python|perl|base64),[^}]*\}|(;|&&|\|\|?|`|\$\(|\n)\s*\{[a-z/.]+,[^}\s]*\})re"},
        {4006, kCmd, kAny, false, kNone, "", "", "reverse shell construction",
         R"re(/dev/(tcp|udp)/|\bnc(at)?\s+(-[a-z]*\s+)*-e\s|\bbash\s+-i\s*>&|\bmkfifo\s|\|\s*(ba|z|da)?sh(\s|$|;|&)|\bsocat\s+(tcp|exec|-)|\bxterm\s+-display\s)re"},
        {4007, kCmd, kAny, false, kAlsoExploit, "", "CVE-2014-6271",
         "Shellshock function definition", R"re(\(\s*\)\s*\{\s*[^}]{0,20};\s*\}\s*;)re"},
        {4008, kCmd, kTUR, false, kNone, "", "", "Windows download/execute tools",
         R"re(\b(certutil(\.exe)?\s+-(urlcache|decode|split)|bitsadmin(\.exe)?\s+/transfer|mshta(\.exe)?\s+(https?|vbscript|javascript)|regsvr32(\.exe)?\s+/s|rundll32(\.exe)?\s+[a-z]|wmic\s+(process|os|shadowcopy)|powershell(\.exe)?\s.*(iex|invoke-expression|downloadstring|frombase64string|-enc\b)))re"},
        {4009, kCmd, kTUR, false, kNone, "", "", "code execution function call",
         R"re(\b(system|passthru|shell_exec|proc_open|popen|pcntl_exec)\s*\(\s*['"$]|\bexec\s*\(\s*['"](id|whoami|cat|ls|wget|curl|uname|cmd)\b|runtime\.getruntime\s*\(\s*\)\s*\.exec|\bprocessbuilder\s*\(|require\s*\(\s*['"]child_process['"]\s*\)|\bos\.(system|popen)\s*\(|\bsubprocess\.(popen|call|check_output|run)\s*\(|__import__\s*\(\s*['"]os['"]|<\?(php|=))re"},
        {4010, kCmd, kT, false, kNone, "", "",
         "PHP code wrappers (php://input, expect://, data://)",
         R"re(\bphp://input\b|\bexpect://|\bdata://text/plain|\bphar://)re"},
        {4011, kCmd, kAny, false, kNone, "", "",
         "shell expansion tricks (substrings of variables, ANSI-C quoting, globbed command "
         "paths)",
         R"re(\$\{[a-z_][a-z0-9_]*:\s*-?\d+:-?\d+\}|%[a-z_]+:~-?\d+(,-?\d+)?|\$'(\\x[0-9a-f]{2}|\\[0-7]{3}|\\u[0-9a-f]{4})|(^|[;&|`\s=])ifs=[,;:.'"$\\]|%(comspec|systemroot|windir)%|(;|&&|\|\|?|`|\$\(|\n|\r)\s*\$\{?[a-z_][a-z0-9_]*\}?(\$\{?[a-z_][a-z0-9_]*\}?)*\s*($|[;&|`)])|(;|&&|\|\|?|`|\$\(|\n|\r)\s*\$\{?[a-z_][a-z0-9_]*\}?\$|(;|&&|\|\|?|&\s|`|\$\(|\n|\r)\s*/+[a-z0-9]*[?*\\][a-z0-9?*\\]*/+[a-z0-9?*\\]*[?*\\])re"},
        {4012, kCmd, kAny, false, kNone, "", "",
         "shell separator, then a command name, even broken up by quotes, backslashes or "
         "carets",
         kEvadedCommand.data()},
        // A file command needs an option or a shell operator after its path: a search for
        // "cat /etc/hosts" is a question, "cat /etc/hosts | nc ..." is not.
        {4013, kCmd, kQ, false, kNone, "", "",
         "parameter value that is a whole command line (direct execution)",
         R"re((^|[=&])\s*(sudo\s+)?((/usr)?/s?bin/)?()re"
         R"re((cat|tac|head|tail|more|less|nl|od|xxd|base64|strings|grep|find|ls|rm|cp|mv|chmod|chown|touch|stat|tee|type))re"
         R"re(((\s+-{1,2}[a-z0-9-]+(\s+\d+)?)+(\s+([/~]|\.{1,2}/|[a-z]:[/\\])[^\s&]*)+\s*($|&|[;|<>]))re"
         R"re(|(\s+([/~]|\.{1,2}/|[a-z]:[/\\])[^\s&]*)+\s*[;|<>]))re"
         R"re(|((uname|id|whoami|ifconfig|ipconfig|netstat|ps|ls|hostname|systeminfo)(\s+(-{1,2}|/)[a-z]+)+|ps\s+aux)re"
         R"re(|(ping|nslookup|dig|traceroute|tracert|nc|ncat|telnet|curl|wget|tftp)(\s+-{1,2}[a-z0-9-]+(\s+\d+)?)*)re"
         R"re(\s+([a-z]+://)?([a-z0-9-]+\.)+[a-z0-9-]+(:\d+)?[^\s&]*(\s+\d+)?(\s+(-{1,2}[a-z]+|[/~][^\s&]*))*)re"
         R"re(|(python[23]?|perl|php|ruby|node|bash|sh|zsh|dash)\s+-[a-z]*[cer]\s[^&]*|cmd(\.exe)?\s+/[ck]\s[^&]*)re"
         R"re(|sleep\s+\d+(\.\d+)?|timeout\s+(/t\s+)?\d+)\s*($|&|[;|<>])))re"},
        {4014, kCmd, kTUR, false, kNone, "", "", "code injection into PHP, Node.js or Ruby",
         R"re(\bphpinfo\s*\(\s*\)|\$\{@?(system|phpinfo|eval|exec|passthru|shell_exec|assert)\s*\()re"
         R"re(|\b(system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|eval|assert)\s*\(\s*)re"
         R"re((\$_(get|post|request|cookie|server)\b|(base64_decode|gzinflate|str_rot13)\s*\())re"
         R"re(|\bsystem\s*\(\s*(id|whoami|ls|cat|uname|pwd|dir|ipconfig|ifconfig)\b)re"
         R"re(|\bprocess\.mainmodule\b|\bchild_process['"]?\s*\)\s*\.\s*(exec|spawn|fork)(sync)?\s*\()re"
         R"re(|\.execsync\s*\(|\bio\.popen\s*\(|\bkernel\.(exec|system|spawn)\b)re"
         R"re(|\b(file_put_contents|fwrite)\s*\(\s*['"][^'"]*\.(php\d?|phtml)['"])re"},

        // ---------------------------------------------------------------- xss (5000-5099)
        {5001, kXss, kTUR, false, kNone, "", "", "script tag",
         R"re(<\s*/?\s*script\b|\\(u003c|x3c)\s*/?\s*script\b)re"},
        {5002, kXss, kTUR, false, kNone, "", "", "script URL scheme (javascript:, vbscript:)",
         R"re((j\s*a\s*v\s*a|v\s*b|l\s*i\s*v\s*e)\s*s\s*c\s*r\s*i\s*p\s*t\s*:)re"},
        {5003, kXss, kTUR, false, kNone, "", "", "event handler inside a tag",
         R"re(<[a-z][a-z0-9:_-]*[\s/+][^<>]*[\s/"'+]on[a-z]{3,}\s*=)re"},
        {5004, kXss, kTUR, false, kNone, "", "", "attribute breakout into an event handler",
         R"re(['"`]\s*/?\s*on(abort|animation[a-z]+|auxclick|before[a-z]+|blur|change|click|close|contextmenu|copy|cut|dblclick|drag[a-z]*|drop|error|focus[a-z]*|hashchange|input|invalid|key[a-z]+|load[a-z]*|message|mouse[a-z]+|page[a-z]+|paste|pointer[a-z]+|popstate|reset|resize|scroll[a-z]*|search|select[a-z]*|show|start|submit|toggle|touch[a-z]+|transition[a-z]+|unload|wheel)\s*=)re"},
        {5005, kXss, kTUR, false, kNone, "", "", "active-content tag (iframe, object, svg, base)",
         R"re(<\s*(iframe|frame|frameset|object|embed|applet|svg|math|isindex|xss)\b|<\s*base\s+href|<\s*meta\s[^>]*http-equiv|<\s*link\s[^>]*rel\s*=\s*['"]?import|<\s*style\b[^>]*>[^<]*(@import|expression|url\s*\())re"},
        {5006, kXss, kTUR, false, kNone, "", "", "DOM sink or script gadget",
         R"re(\bdocument\s*\.\s*(cookie|domain|write(ln)?\s*\(|location)|\bwindow\s*\.\s*(location|open\s*\(|name\b)|\.(inner|outer)html\s*=|\blocation\s*\.\s*(href|hash|replace)\s*=|\beval\s*\(\s*(atob|string\.fromcharcode|unescape|decodeuri|location|name|['"`])|\bstring\s*\.\s*fromcharcode\s*\(|\batob\s*\(\s*['"]|\bimport\s*\(\s*['"](https?:|//)|\b(top|self|parent|globalthis)\s*\[\s*['"`])re"},
        {5007, kXss, kTUR, false, kNone, "", "", "dialog call with a probe argument (alert(1))",
         R"re((^|[^a-z0-9_$.])(alert|prompt|confirm)\s*(\(\s*|`)(\d|['"`/]|document|window|origin|self|top|this|\)|`))re"},
        {5008, kXss, kTUR, false, kNone, "", "", "quote and tag breakout (\"><)",
         R"re(['"`]\s*/?>\s*<\s*/?\s*[a-z!])re"},
        {5009, kXss, kTUR, false, kNone, "", "", "HTML or script data: URL",
         R"re(\bdata\s*:\s*(text/html|application/(x-)?(xhtml|javascript|ecmascript)|text/javascript))re"},
        {5010, kXss, kTUR, false, kNone, "", "", "CSS script vectors (expression(), -moz-binding)",
         R"re([:=]\s*expression\s*\(|-moz-binding\s*:|\bbehavior\s*:\s*url\s*\(|@import\s*['"]?(https?:|//|javascript))re"},
        {5011, kXss, kTUR, false, kNone, "", "",
         "script-bearing attribute (srcdoc, formaction, xlink:href)",
         R"re(<[^>]*\b(srcdoc|formaction|xlink:href)\s*=|<\s*animate\b[^>]*\battributename\s*=)re"},

        // ---------------------------------------------------------------- ssti (6000-6099)
        {6001, kSsti, kTUR, false, kNone, "", "", "arithmetic probe in {{ }}",
         R"re(\{\{\s*[-+]?['"]?\d+['"]?\s*[*/+-]\s*['"]?\d+)re"},
        {6002, kSsti, kTUR, false, kNone, "", "", "arithmetic probe in ${ } #{ } <%= %> and peers",
         R"re([$#@*%]\{\s*\d+\s*[*/+-]\s*\d+\s*\}|<%=?\s*\d+\s*[*/+-]\s*\d+\s*%>|\{\s*\d+\s*\*\s*\d+\s*\}|\[\[\s*\d+\s*\*\s*\d+\s*\]\]|@\(\s*\d+\s*\*\s*\d+\s*\))re"},
        {6003, kSsti, kTUR, false, kNone, "", "", "Python object traversal (__class__.__mro__)",
         R"re(__(class|mro|subclasses|globals|builtins|bases?|getattribute|import)__|\|\s*attr\s*\(\s*['"]?(_|\\x5f))re"},
        {6004, kSsti, kTUR, false, kNone, "", "", "template globals ({{config}}, {{self}})",
         R"re(\{\{\s*(config|self|request|settings|url_for|get_flashed_messages|lipsum|cycler|joiner|namespace|_self)\b\s*[.\[|(}])re"},
        {6005, kSsti, kTUR, false, kNone, "", "",
         "FreeMarker, Velocity, Twig, Smarty, Handlebars directives",
         R"re(<#(assign|import)\b|\?new\s*\(\s*\)|freemarker\.template\.utility|#set\s*\(\s*\$|#foreach\s*\(\s*\$|\$[a-z_]+\.getclass\s*\(|\.getclass\s*\(\s*\)\s*\.\s*forname|_self\.env\.|registerundefinedfiltercallback|\|\s*(filter|map)\s*\(\s*['"](system|exec|passthru|shell_exec)|\{php\}|\{\s*system\s*\(|\{if\s+[a-z_]+\s*\(|\{\{#with\s|\{%\s*(import|include|extends|debug|load)\s)re"},
        {6006, kSsti, kTUR, false, kNone, "", "", "Java expression language reaching java.lang",
         R"re(\bt\s*\(\s*java\.|java\.lang\.(runtime|processbuilder|system|class|thread|reflect)\b|javax\.script\.scriptenginemanager|org\.springframework\.(expression|context)\.|\bnew\s+java\.|\.forname\s*\(|\bgetruntime\s*\()re"},
        {6007, kSsti, kTUR, false, kNone, "", "", "OGNL expression (%{(# ..., @class@method)",
         R"re(%\{\s*\(?\s*#|\$\{\s*\(?\s*#[a-z_]+\s*=|#_?memberaccess|@ognl\.ognlcontext|#context\s*\[|#attr\s*\[|@[a-z]+(\.[a-z0-9_$]+)+@[a-z_]+\s*\(|\(\s*#[a-z_]+\s*=\s*@|#request\s*\[|\bognlutil\b|\.getexcludedpackage)re"},
        {6008, kSsti, kTUR, false, kNone, "", "", "ERB/JSP expression tag",
         R"re(<%\s*(=|@|!)|<%\s*(out\.print|response\.|request\.|runtime))re"},
        {6009, kSsti, kTUR, false, kNone, "", "",
         "client-side template sandbox escape (constructor)",
         R"re(\{\{[^}]*(constructor|\$on|\$eval|__proto__|tostring\.call)|\bconstructor\s*\.\s*constructor\s*\(|\$eval\s*\()re"},
        {6010, kSsti, kTUR, false, kNone, "", "", "code execution inside {{ }}",
         R"re(\{\{[^}]*(popen|os\.system|subprocess|\bexec\s*\(|\beval\s*\(|\bimport\s*\())re"},
        {6011, kSsti, kTUR, false, kNone, "", "", "Thymeleaf preprocessing (__${...}__)",
         R"re(__\$\{[^}]*\}__)re"},

        {6012, kSsti, kTUR, false, kNone, "", "", "Twig, Smarty and JSP EL object access",
         R"re(\{\{\s*(dump\s*\(|constant\s*\(|source\s*\(|attribute\s*\(|_context\b|app\.(request|session|user)\b)|\{\$smarty\.|\$\{\s*(pagecontext|applicationscope|sessionscope|requestscope|facescontext|initparam)\b|\.getclassloader\s*\()re"},
        {6013, kSsti, kTUR, false, kNone, "", "", "template-delimiter polyglot probe",
         R"re(\$\{\{|<%\[%|\{\{<%)re"},

        // ---------------------------------------------------------------- log4shell
        // (7000-7099)
        {7001, kL4s, kAny, false, kNone, "", "CVE-2021-44228", "JNDI lookup (${jndi:)",
         R"re(\$\{\s*jndi\s*:)re"},
        {7002, kL4s, kAny, false, kNone, "", "CVE-2021-44228",
         "case lookup obfuscation (${lower:j})", R"re(\$\{\s*(lower|upper)\s*:)re"},
        {7003, kL4s, kAny, false, kNone, "", "CVE-2021-44228",
         "default-value lookup obfuscation (${::-j})", R"re(\$\{[a-z0-9_.]*:[a-z0-9_.]*:-)re"},
        {7004, kL4s, kAny, false, kNone, "", "CVE-2021-44228", "nested lookup (${...${...}})",
         R"re(\$\{[^}]*\$\{)re"},
        {7005, kL4s, kAny, false, kNone, "", "CVE-2021-44228",
         "Log4j data lookup (${env:..}, ${sys:..})",
         R"re(\$\{\s*(env|sys|java|main|ctx|k8s|docker|spring|bundle|jvmrunargs|web|log4j|date|base64|sd|marker|map|event|hostname)\s*[:}])re"},
        {7006, kL4s, kAny, false, kNone, "", "CVE-2021-44228", "JNDI URL with a lookup protocol",
         R"re((jndi|\}ndi|\}di|\}i)\s*:\s*(ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\s*:\s*/)re"},

        // ---------------------------------------------------------------- ssrf (8000-8099)
        {8001, kSsrf, kT | kH, false, kNone, "", "", "cloud metadata service address",
         R"re(169\.254\.169\.254|\bmetadata\.google\.internal\b|\b100\.100\.100\.200\b|169\.254\.170\.2\b|\bfd00:ec2::254\b|\bmetadata\.azure\.com\b|\b2852039166\b|\b0xa9fea9fe\b|\b0251\.0376\.0251\.0376\b|/latest/(meta-data|user-data|dynamic/instance-identity)\b|/computemetadata/v1\b|\b192\.0\.0\.192\b|\[::ffff:a9fe:a9fe\]|://instance-data\b)re"},
        {8002, kSsrf, kQ, false, kNone, "", "",
         "URL parameter pointing at a loopback or internal address",
         R"re((^|[=&\s'"(,;])\s*((https?|ftp|gopher|dict|ldap|tftp|wss?)://|//)([^/?&#@\s]*@)?(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|127\.1|127\.0\.1|0\.0\.0\.0|0|\[[0:]*(:1)?\]|\[::ffff:(127|7f)[^\]]*\]|\[0*:0*:0*:0*:0*:0*:0*:0*1\]|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3}|([a-z0-9-]+\.)*(internal|intranet|localdomain|svc)(\.[a-z0-9-]+)*|[a-z0-9.-]+\.(corp|local|lan|home\.arpa|cluster\.local)|localtest\.me|lvh\.me|vcap\.me|[0-9a-z.-]+\.(nip|xip|sslip)\.io)([:/?#&\s\\]|$))re"},
        {8003, kSsrf, kQ, false, kNone, "", "",
         "internal-protocol URL in a parameter (file://, gopher://)",
         R"re((^|[=&\s'"(,;])\s*(file:/+[^\s&/]|file:/+[a-z]|(gopher|dict|ldaps?|tftp|sftp|jar|netdoc|smb|telnet|redis|mysql|mongodb|memcached?)://[^\s&]|jar:(https?|file|ftp):))re"},
        {8004, kSsrf, kQ, false, kNone, "", "", "URL with an integer, hex or octal IP address",
         R"re((https?|ftp|gopher|dict)://([^/?&#@\s]*@)?(0x[0-9a-f]{1,8}|\d{8,10}|0[0-7]{1,3}\.[0-7.]+|0x[0-9a-f]{1,2}\.[0-9a-fx.]+)([:/?#&\s]|$))re"},

        // ---------------------------------------------------------------- scanner (9000-9099)
        {9001, kScan, kU, true, kNone, "", "", "security scanner user agent",
         R"re(\b(sqlmap|nikto|nmap scripting engine|nmap nse|masscan|zgrab|nuclei|dirbuster|gobuster|feroxbuster|dirsearch|ffuf|fuzz faster u fool|wfuzz|wpscan|acunetix|netsparker|invicti|openvas|nessus|qualys|w3af|arachni|skipfish|havij|commix|zmeu|morfeus|jorgee|dotdotpwn|appscan|webinspect|paros|nsauditor|sqlninja|pangolin|bsqlbf|grabber|webshag|whatweb|xsstrike|joomscan|droopescan|cmsmap|metasploit|censysinspect|l9explore|l9tcpid|interactsh|internetmeasurement|jaeles|thc-hydra)|\(hydra\)|\bhydra v\d|\bvega/|expanse, a palo alto networks company|^xfa1$)re"},
        {9002, kScan, kAny, true, kNone, "", "",
         "out-of-band interaction domain (Burp Collaborator, interact.sh)",
         R"re(\.(oastify\.com|burpcollaborator\.net|oast\.(pro|live|site|online|fun|me)|interact\.sh|interactsh\.com|dnslog\.cn|ceye\.io|requestbin\.(net|com)|pipedream\.net|xss\.ht|bxss\.me|canarytokens\.com|dnslog\.link|eyes\.sh|requestrepo\.com)\b)re"},
        {9003, kScan, kT, true, kNone, "", "",
         "scanner test path (Acunetix, Nessus, Netsparker, Nmap)",
         R"re(acunetix-wvs-test|/nessus_is_probing_you|/nessustest\b|/netsparker-[a-z0-9]|w00tw00t\.at\.|thereisnowaythat-you-canbethere|appscan_fingerprint|sensepostnottherenonotive|adsensepostnottherenonobook|/arachni-|/w3af/|/cybercop\b|/rfiinc\.txt|/nice ports,/trinity\.txt\.bak|/nikto-test)re"},

        {9004, kScan, kP, true, kNone, "", "",
         "probe for router, admin-console or framework paths a web site does not serve",
         R"re(^/(hnap1|boaform/|cgi-bin/test-cgi$|evox/about$|sdk$|phpmyadmin|pma/|myadmin/|mysqladmin/|vendor/phpunit/|telescope/requests|solr/admin/|console/login/loginform\.jsp|manager/html$))re"},

        // ---------------------------------------------------------------- exploit
        // (10000-10999)
        {10001, kExpl, kT, false, kAlsoTraversal, "", "CVE-2024-3400",
         "PAN-OS GlobalProtect path with traversal or command characters",
         R"re(/(ssl-vpn|global-protect)/.*(\.\./|device_telemetry|`|\$\(|\$\{ifs\}))re"},
        {10002, kExpl, kAny, false, kAlsoTraversal | kAlsoCmd, "", "CVE-2024-3400",
         "PAN-OS telemetry directory (SESSID file creation)",
         R"re(device_telemetry/(minute|hour|day)\b)re"},
        {10003, kExpl, kP, false, kNone, "get", "CVE-2024-3400",
         "PAN-OS check for a file dropped under global-protect/portal",
         R"re(^/global-protect/portal/(images|css|js)/[^/]+\.txt$)re"},
        {10004, kExpl, kP, false, kNone, "post", "CVE-2024-3400",
         "PAN-OS hipreport.esp POST (SESSID cookie traversal, not logged)",
         R"re(^/ssl-vpn/hipreport\.esp$)re"},
        {10010, kExpl, kT, false, kAlsoTraversal | kAlsoFile, "", "CVE-2018-13379",
         "FortiOS SSL VPN fgt_lang traversal to sslvpn_websession",
         R"re(/remote/fgt_lang\?lang=[^&]*(\.\.|/dev/)|sslvpn_websession)re"},
        {10011, kExpl, kP, false, kNone, "post", "CVE-2024-21762",
         "FortiOS sslvpnd chunked-body endpoint (POST /remote/VPN, hostcheck_validate)",
         R"re(^/remote/(vpn|vulncheck|hostcheck_validate|portal/bookmarks)$)re"},
        {10020, kExpl, kT, false, kAlsoTraversal, "", "CVE-2023-46805",
         "Ivanti Connect Secure authentication bypass via api/v1 traversal",
         R"re(/api/v1/(totp/user-backup-code|cav/client/status)/\.\.)re"},
        {10021, kExpl, kT, false, kAlsoCmd, "", "CVE-2024-21887",
         "Ivanti Connect Secure command injection (keys-status, cloud-server-test-connection)",
         R"re(/api/v1/license/keys-status/[^?]*[;`|$]|\.\./(license/keys-status|system/maintenance/archiving/cloud-server-test-connection))re"},
        {10030, kExpl, kP, false, kAlsoTraversal, "post", "CVE-2024-24919",
         "Check Point gateway MyCRL arbitrary file read", R"re(^/clients/mycrl$)re"},
        {10031, kExpl, kT, false, kAlsoTraversal, "", "CVE-2024-24919",
         "Check Point aCSHELL traversal", R"re(\bacshell/+\.\./)re"},
        {10040, kExpl, kT, false, kAlsoTraversal, "", "CVE-2019-19781",
         "Citrix ADC /vpn/../vpns/ traversal", R"re(/vpn/+\.\./+vpns/)re"},
        {10041, kExpl, kT, false, kAlsoFile, "", "CVE-2019-19781",
         "Citrix ADC vpns configuration read", R"re((^|/)vpns/+cfg/)re"},
        {10042, kExpl, kT, false, kAlsoTraversal, "", "CVE-2019-19781",
         "Citrix ADC bookmark script (traversal in the NSC_USER header)",
         R"re((^|/)vpns/+(portal/scripts/(newbm|rmbm|picktheme)\.pl|portal/[a-z0-9]+\.xml))re"},
        {10045, kExpl, kP, false, kNone, "", "CVE-2023-3519", "Citrix ADC gwtest formssso overflow",
         R"re(^/gwtest/formssso\b)re"},
        {10046, kExpl, kT, false, kNone, "", "CVE-2023-3519",
         "Citrix ADC ns_gui web shell location", R"re(/netscaler/ns_gui/)re"},
        {10050, kExpl, kP, false, kAlsoSsti, "", "CVE-2022-26134",
         "Confluence OGNL injection in the path",
         R"re(\$\{[^}]*(#[a-z_]+\s*=|@[a-z_.]+@|getruntime|\.exec\s*\(|ognl))re"},
        {10060, kExpl, kP, false, kAlsoTraversal, "", "CVE-2021-41773",
         "Apache 2.4.49/50 cgi-bin or icons traversal",
         R"re(^/(cgi-bin|icons)/(\.{1,2}/)*\.\.(/|$))re"},
        {10061, kExpl, kT, false, kAlsoSsti, "", "CVE-2022-22965",
         "Spring4Shell class.module.classLoader",
         R"re(\bclass\s*(\.\s*module\s*\.\s*classloader|\[\s*module\s*\]\s*\[\s*classloader))re"},
        {10062, kExpl, kP, false, kAlsoCmd, "", "CVE-2022-1388", "F5 BIG-IP iControl REST bash",
         R"re(^/mgmt/tm/util/bash\b)re"},
        {10063, kExpl, kT, false, kAlsoTraversal, "", "CVE-2020-5902", "F5 BIG-IP TMUI ..;/ bypass",
         R"re(/tmui/.*\.\.;/)re"},
        {10064, kExpl, kT, false, kAlsoSsrf, "", "CVE-2021-34473",
         "Exchange ProxyShell autodiscover SSRF",
         R"re(autodiscover\.json\?@|email=autodiscover/autodiscover\.json)re"},
        {10065, kExpl, kT, false, kAlsoSsrf, "", "CVE-2022-41040",
         "Exchange ProxyNotShell PowerShell backend",
         R"re(autodiscover\.json.*(protocol=powershell|/powershell\b))re"},
        {10066, kExpl, kP, false, kNone, "", "CVE-2021-26855",
         "Exchange ProxyLogon ECP static-file SSRF", R"re(^/ecp/[a-z0-9]{1,2}\.js$)re"},
        {10067, kExpl, kT, false, kNone, "", "CVE-2018-20062", "ThinkPHP 5 invokefunction routing",
         R"re(\\think\\|invokefunction&function=)re"},
        {10068, kExpl, kT, false, kNone, "", "CVE-2019-16759",
         "vBulletin widget_php code execution", R"re(ajax/render/widget_php\b)re"},
        {10069, kExpl, kT, false, kNone, "", "CVE-2020-17496", "vBulletin tabbed container bypass",
         R"re(ajax/render/widget_tabbedcontainer_tab_panel\b)re"},
        {10070, kExpl, kT, false, kNone, "", "CVE-2018-7600",
         "Drupalgeddon2 render array injection",
         R"re(element_parents=[^&]*#value|\[\s*#(post_render|pre_render|lazy_builder|access_callback)\s*\])re"},
        {10071, kExpl, kP, false, kAlsoCmd, "", "CVE-2017-9841", "PHPUnit eval-stdin.php",
         R"re(/phpunit/.*eval-stdin\.php)re"},
        {10072, kExpl, kQ, false, kAlsoCmd, "", "CVE-2024-4577",
         "PHP-CGI argument injection (-d allow_url_include)",
         R"re((^|[\s&])[-\xad]d\s*(allow_url_include|auto_prepend_file|auto_append_file|safe_mode|open_basedir|disable_functions|cgi\.force_redirect|register_globals|suhosin))re"},
        {10073, kExpl, kP, false, kNone, "", "CVE-2021-3129", "Laravel Ignition execute-solution",
         R"re(/_ignition/execute-solution\b)re"},
        {10074, kExpl, kT, false, kNone, "", "CVE-2018-10561", "GPON router authentication bypass",
         R"re(/gponform/diag_form\b)re"},
        {10075, kExpl, kT, false, kNone, "", "CVE-2023-22515", "Confluence setup-complete reset",
         R"re(bootstrapstatusprovider\.applicationconfig\.setupcomplete)re"},
        {10076, kExpl, kP, false, kAlsoSsti, "", "CVE-2023-22527",
         "Confluence text-inline.vm template injection", R"re(/template/aui/text-inline\.vm\b)re"},
        {10077, kExpl, kT, false, kNone, "", "CVE-2023-34362",
         "MOVEit Transfer moveitisapi action m2", R"re(moveitisapi\.dll\?action=m2\b)re"},
        {10078, kExpl, kT, false, kNone, "", "CVE-2023-20198", "Cisco IOS XE web UI implant check",
         R"re(/webui/logoutconfirm\.html\?logon_hash=)re"},
        {10079, kExpl, kP, false, kNone, "", "CVE-2023-35078", "Ivanti EPMM unauthenticated API",
         R"re(/mifs/aad/api/v2/)re"},
        {10080, kExpl, kP, false, kAlsoCmd, "put", "CVE-2021-36260",
         "Hikvision webLanguage command injection", R"re(^/sdk/weblanguage$)re"},
        {10081, kExpl, kT, false, kAlsoTraversal, "", "CVE-2020-14882",
         "WebLogic console double-encoded traversal to console.portal",
         R"re(/console/+[a-z]+/+\.\./+console\.portal|console\.portal\?[^#]*(shellsession|filesystemxmlapplicationcontext))re"},
        {10082, kExpl, kP, false, kNone, "", "CVE-2017-10271", "WebLogic wls-wsat XMLDecoder",
         R"re(^/wls-wsat/)re"},
        {10083, kExpl, kP, false, kNone, "", "CVE-2019-2725", "WebLogic _async deserialization",
         R"re(^/_async/asyncresponseservice)re"},
        {10084, kExpl, kT, false, kAlsoTraversal | kAlsoFile, "", "CVE-2019-11510",
         "Pulse Connect Secure guacamole arbitrary file read",
         R"re(/dana-na/+\.\./|/dana/html5acc/guacamole/+\.\./)re"},
        {10085, kExpl, kP, false, kNone, "", "CVE-2024-1709", "ScreenConnect SetupWizard bypass",
         R"re(^/setupwizard\.aspx/)re"},
        {10086, kExpl, kU, false, kNone, "", "CVE-2022-40684",
         "FortiOS admin API with the Report Runner agent", R"re(^report runner$)re"},
        {10087, kExpl, kP, false, kNone, "put", "CVE-2022-40684",
         "FortiOS admin user modification via REST", R"re(^/api/v2/cmdb/system/admin/)re"},
        {10088, kExpl, kT, false, kAlsoCmd, "", "CVE-2020-5902", "F5 BIG-IP TMUI tmshCmd.jsp",
         R"re(/tmui/locallb/workspace/tmshcmd\.jsp)re"},
};
// clang-format on

constexpr std::size_t kRuleCount = sizeof(kRules) / sizeof(kRules[0]);

constexpr std::array<RuleInfo, kRuleCount> makeInfos() {
  std::array<RuleInfo, kRuleCount> out{};
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    out[i] = RuleInfo{kRules[i].id, kRules[i].category, kRules[i].cve, kRules[i].description};
  }
  return out;
}

constexpr bool sortedUnique() {
  for (std::size_t i = 1; i < kRuleCount; ++i) {
    if (kRules[i - 1].id >= kRules[i].id) return false;
  }
  return true;
}
static_assert(sortedUnique(), "rule ids must be unique and in ascending order");

constexpr std::array<RuleInfo, kRuleCount> kInfos = makeInfos();

}  // namespace

std::span<const Rule> all() {
  return kRules;
}
std::span<const RuleInfo> infos() {
  return kInfos;
}

}  // namespace mamori::detect::rules
