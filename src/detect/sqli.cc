// SQL injection detection by tokenizing (the approach of libinjection; own implementation).
//
// Three stages per reading of the value:
//  1. Tokenizer: SQL lexical rules broad enough for MySQL, PostgreSQL, MSSQL, Oracle and SQLite
//     (a value does not say which database it will reach, so where dialects disagree the reading
//     that lets an attack through is chosen: "--" is a comment without the MySQL space,
//     /*! ... */ is code, backslash escapes inside strings).
//  2. Folder: merges what does not change the shape (adjacent strings, operator runs, unary signs,
//     arithmetic between operands, multi-word keywords, comments between tokens) and keeps the
//     first kMaxSqliFingerprint token types.
//  3. A sorted table of shapes that only injections take.
#include "mamori/detect/sqli.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sqli_internal.h"

namespace mamori::detect {
namespace {

// ---------------------------------------------------------------------------------------------
// Keywords

enum KeywordFlag : std::uint8_t {
  kArith = 1,  // operator between operands that keeps an operand ("1 div 2" is an operand)
  kUnary = 2,  // operator that may stand before an operand ("not 1")
};

struct Keyword {
  std::string_view word;
  char type;       // type when not followed by '('
  char parenType;  // type when followed by '(' (0: unchanged)
  std::uint8_t flags;
};

// Sorted by word (checked at compile time). Function names are barewords unless called: "user",
// "version" and "count" are ordinary words in text, "count(" is not.
constexpr Keyword kKeywords[] = {
    {"abs", 'n', 'f', 0},
    {"all", 'n', 0, 0},
    {"alter", 'E', 0, 0},
    {"and", '&', 0, 0},
    {"array_agg", 'n', 'f', 0},
    {"array_to_string", 'n', 'f', 0},
    {"as", 'k', 0, 0},
    {"asc", 'k', 0, 0},
    {"ascii", 'n', 'f', 0},
    {"avg", 'n', 'f', 0},
    {"benchmark", 'n', 'f', 0},
    {"between", 'o', 0, 0},
    {"bin", 'n', 'f', 0},
    {"by", 'n', 0, 0},
    {"case", 'k', 0, 0},
    {"cast", 'n', 'f', 0},
    {"ceil", 'n', 'f', 0},
    {"char", 'n', 'f', 0},
    {"char_length", 'n', 'f', 0},
    {"character_length", 'n', 'f', 0},
    {"charindex", 'n', 'f', 0},
    {"chr", 'n', 'f', 0},
    {"coalesce", 'n', 'f', 0},
    {"col_name", 'n', 'f', 0},
    {"collate", 'k', 0, 0},
    {"concat", 'n', 'f', 0},
    {"concat_ws", 'n', 'f', 0},
    {"connection_id", 'n', 'f', 0},
    {"conv", 'n', 'f', 0},
    {"convert", 'n', 'f', 0},
    {"count", 'n', 'f', 0},
    {"crc32", 'n', 'f', 0},
    {"create", 'E', 0, 0},
    {"cross", 'n', 0, 0},
    {"curdate", 'n', 'f', 0},
    {"current_database", 'n', 'f', 0},
    {"current_schema", 'n', 'f', 0},
    {"current_setting", 'n', 'f', 0},
    {"current_user", 'n', 'f', 0},
    {"curtime", 'n', 'f', 0},
    {"database", 'n', 'f', 0},
    {"datalength", 'n', 'f', 0},
    {"db_name", 'n', 'f', 0},
    {"declare", 'E', 0, 0},
    {"decode", 'n', 'f', 0},
    {"delay", 'n', 0, 0},
    {"delete", 'E', 0, 0},
    {"desc", 'k', 0, 0},
    {"distinct", 'n', 0, 0},
    {"div", 'o', 0, kArith},
    {"drop", 'E', 0, 0},
    {"dumpfile", 'n', 0, 0},
    {"else", 'k', 0, 0},
    {"elt", 'n', 'f', 0},
    {"end", 'k', 0, 0},
    {"exec", 'E', 0, 0},
    {"execute", 'E', 0, 0},
    {"exists", 'k', 'f', 0},
    {"exp", 'n', 'f', 0},
    {"extractvalue", 'n', 'f', 0},
    {"false", '1', 0, 0},
    {"find_in_set", 'n', 'f', 0},
    {"floor", 'n', 'f', 0},
    {"from", 'k', 0, 0},
    {"from_base64", 'n', 'f', 0},
    {"generate_series", 'n', 'f', 0},
    {"geometrycollection", 'n', 'f', 0},
    {"get_lock", 'n', 'f', 0},
    {"getdate", 'n', 'f', 0},
    {"glob", 'o', 0, 0},
    {"greatest", 'n', 'f', 0},
    {"group", 'n', 0, 0},
    {"group_concat", 'n', 'f', 0},
    {"gtid_subset", 'n', 'f', 0},
    {"having", 'k', 0, 0},
    {"hex", 'n', 'f', 0},
    {"hextoraw", 'n', 'f', 0},
    {"host_name", 'n', 'f', 0},
    {"if", 'n', 'f', 0},
    {"ifnull", 'n', 'f', 0},
    {"iif", 'n', 'f', 0},
    {"ilike", 'o', 0, 0},
    {"in", 'o', 0, 0},
    {"inner", 'n', 0, 0},
    {"insert", 'E', 'f', 0},
    {"instr", 'n', 'f', 0},
    {"into", 'k', 0, 0},
    {"is", 'o', 0, 0},
    {"is_srvrolemember", 'n', 'f', 0},
    {"isnull", 'n', 'f', 0},
    {"join", 'k', 0, 0},
    {"json_array", 'n', 'f', 0},
    {"json_extract", 'n', 'f', 0},
    {"json_keys", 'n', 'f', 0},
    {"json_length", 'n', 'f', 0},
    {"json_object", 'n', 'f', 0},
    {"json_unquote", 'n', 'f', 0},
    {"json_value", 'n', 'f', 0},
    {"last_insert_id", 'n', 'f', 0},
    {"lcase", 'n', 'f', 0},
    {"least", 'n', 'f', 0},
    {"left", 'n', 'f', 0},
    {"len", 'n', 'f', 0},
    {"length", 'n', 'f', 0},
    {"like", 'o', 0, 0},
    {"limit", 'k', 0, 0},
    {"listagg", 'n', 'f', 0},
    {"lo_import", 'n', 'f', 0},
    {"load_extension", 'n', 'f', 0},
    {"load_file", 'n', 'f', 0},
    {"locate", 'n', 'f', 0},
    {"lower", 'n', 'f', 0},
    {"lpad", 'n', 'f', 0},
    {"ltrim", 'n', 'f', 0},
    {"make_set", 'n', 'f', 0},
    {"max", 'n', 'f', 0},
    {"md5", 'n', 'f', 0},
    {"mid", 'n', 'f', 0},
    {"min", 'n', 'f', 0},
    {"mod", 'o', 'f', kArith},
    {"multipoint", 'n', 'f', 0},
    {"name_const", 'n', 'f', 0},
    {"nchar", 'n', 'f', 0},
    {"not", 'o', 0, kUnary},
    {"now", 'n', 'f', 0},
    {"null", '1', 0, 0},
    {"nullif", 'n', 'f', 0},
    {"nvl", 'n', 'f', 0},
    {"nvl2", 'n', 'f', 0},
    {"object_id", 'n', 'f', 0},
    {"object_name", 'n', 'f', 0},
    {"octet_length", 'n', 'f', 0},
    {"offset", 'k', 0, 0},
    {"openrowset", 'n', 'f', 0},
    {"or", '&', 0, 0},
    {"ord", 'n', 'f', 0},
    {"order", 'n', 0, 0},
    {"outer", 'n', 0, 0},
    {"outfile", 'n', 0, 0},
    {"patindex", 'n', 'f', 0},
    {"pg_ls_dir", 'n', 'f', 0},
    {"pg_read_binary_file", 'n', 'f', 0},
    {"pg_read_file", 'n', 'f', 0},
    {"pg_sleep", 'n', 'f', 0},
    {"polygon", 'n', 'f', 0},
    {"position", 'n', 'f', 0},
    {"pow", 'n', 'f', 0},
    {"power", 'n', 'f', 0},
    {"query_to_xml", 'n', 'f', 0},
    {"quotename", 'n', 'f', 0},
    {"rand", 'n', 'f', 0},
    {"randomblob", 'n', 'f', 0},
    {"rawtohex", 'n', 'f', 0},
    {"regexp", 'o', 0, 0},
    {"regexp_like", 'n', 'f', 0},
    {"regexp_replace", 'n', 'f', 0},
    {"regexp_substr", 'n', 'f', 0},
    {"release_lock", 'n', 'f', 0},
    {"repeat", 'n', 'f', 0},
    {"replace", 'E', 'f', 0},
    {"replicate", 'n', 'f', 0},
    {"reverse", 'n', 'f', 0},
    {"right", 'n', 'f', 0},
    {"rlike", 'o', 0, 0},
    {"round", 'n', 'f', 0},
    {"row", 'n', 'f', 0},
    {"rpad", 'n', 'f', 0},
    {"rtrim", 'n', 'f', 0},
    {"schema", 'n', 'f', 0},
    {"select", 'E', 0, 0},
    {"session_user", 'n', 'f', 0},
    {"sha1", 'n', 'f', 0},
    {"sha2", 'n', 'f', 0},
    {"shutdown", 'E', 0, 0},
    {"sleep", 'n', 'f', 0},
    {"soundex", 'n', 'f', 0},
    {"sounds", 'n', 0, 0},
    {"sqlite_version", 'n', 'f', 0},
    {"sqrt", 'n', 'f', 0},
    {"strcmp", 'n', 'f', 0},
    {"string_agg", 'n', 'f', 0},
    {"substr", 'n', 'f', 0},
    {"substring", 'n', 'f', 0},
    {"substring_index", 'n', 'f', 0},
    {"sum", 'n', 'f', 0},
    {"suser_id", 'n', 'f', 0},
    {"suser_name", 'n', 'f', 0},
    {"suser_sname", 'n', 'f', 0},
    {"sys_context", 'n', 'f', 0},
    {"sysdate", 'n', 'f', 0},
    {"system_user", 'n', 'f', 0},
    {"table", 'n', 0, 0},
    {"then", 'k', 0, 0},
    {"time", 'n', 0, 0},
    {"to_base64", 'n', 'f', 0},
    {"to_char", 'n', 'f', 0},
    {"to_number", 'n', 'f', 0},
    {"top", 'n', 0, 0},
    {"trim", 'n', 'f', 0},
    {"true", '1', 0, 0},
    {"truncate", 'E', 'f', 0},
    {"typeof", 'n', 'f', 0},
    {"ucase", 'n', 'f', 0},
    {"unhex", 'n', 'f', 0},
    {"unicode", 'n', 'f', 0},
    {"union", 'U', 0, 0},
    {"update", 'E', 0, 0},
    {"updatexml", 'n', 'f', 0},
    {"upper", 'n', 'f', 0},
    {"user", 'n', 'f', 0},
    {"user_id", 'n', 'f', 0},
    {"user_name", 'n', 'f', 0},
    {"uuid", 'n', 'f', 0},
    {"values", 'k', 0, 0},
    {"version", 'n', 'f', 0},
    {"waitfor", 'E', 0, 0},
    {"when", 'k', 0, 0},
    {"where", 'k', 0, 0},
    {"xmltype", 'n', 'f', 0},
    {"xor", '&', 0, 0},
    {"xp_cmdshell", 'n', 'f', 0},
    {"xp_dirtree", 'n', 'f', 0},
    {"zeroblob", 'n', 'f', 0},
};

constexpr std::size_t kMaxKeywordLength = 24;

constexpr bool keywordsSorted() {
  for (std::size_t i = 1; i < std::size(kKeywords); ++i) {
    if (!(kKeywords[i - 1].word < kKeywords[i].word)) return false;
  }
  for (const Keyword& k : kKeywords) {
    if (k.word.size() > kMaxKeywordLength) return false;
  }
  return true;
}
static_assert(keywordsSorted(), "kKeywords must be sorted, unique and short");

// Compile-time lookup (for the phrase table); values use the hash table below.
constexpr int keywordIndex(std::string_view word) {
  const auto* it =
      std::lower_bound(std::begin(kKeywords), std::end(kKeywords), word,
                       [](const Keyword& k, std::string_view w) { return k.word < w; });
  if (it == std::end(kKeywords) || it->word != word) return -1;
  return static_cast<int>(it - std::begin(kKeywords));
}

// Open-addressing table over the fixed keyword set, built at compile time. The set is fixed and
// every probe sequence ends at an empty slot within a few steps (load factor < 0.3), so attacker
// words cannot make a lookup slow; a seed buys nothing here.
constexpr std::uint32_t wordHash(std::string_view w) {
  std::uint32_t h = 2166136261u;
  for (const char c : w) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

constexpr std::size_t kKeywordSlots = 1024;
static_assert(std::size(kKeywords) * 3 < kKeywordSlots);

constexpr std::array<std::int16_t, kKeywordSlots> buildKeywordSlots() {
  std::array<std::int16_t, kKeywordSlots> slots{};
  for (auto& s : slots) s = -1;
  for (std::size_t i = 0; i < std::size(kKeywords); ++i) {
    std::size_t at = wordHash(kKeywords[i].word) % kKeywordSlots;
    while (slots[at] >= 0) at = (at + 1) % kKeywordSlots;
    slots[at] = static_cast<std::int16_t>(i);
  }
  return slots;
}
constexpr auto kKeywordSlotTable = buildKeywordSlots();

int lookupKeyword(std::string_view lowerWord) {
  std::size_t at = wordHash(lowerWord) % kKeywordSlots;
  while (kKeywordSlotTable[at] >= 0) {
    const auto i = static_cast<std::size_t>(kKeywordSlotTable[at]);
    if (kKeywords[i].word == lowerWord) return static_cast<int>(i);
    at = (at + 1) % kKeywordSlots;
  }
  return -1;
}

// Two adjacent keywords that SQL reads as one ("union all", "order by", "waitfor delay").
struct Phrase {
  int first;
  int second;
  char type;
};

constexpr Phrase phrase(std::string_view a, std::string_view b, char type) {
  return {keywordIndex(a), keywordIndex(b), type};
}

constexpr Phrase kPhrases[] = {
    phrase("alter", "table", 'E'),     phrase("case", "when", 'W'),
    phrase("create", "table", 'E'),    phrase("cross", "join", 'k'),
    phrase("delete", "from", 'E'),     phrase("drop", "database", 'E'),
    phrase("drop", "table", 'E'),      phrase("group", "by", 'B'),
    phrase("inner", "join", 'k'),      phrase("insert", "into", 'E'),
    phrase("into", "dumpfile", 'k'),   phrase("into", "outfile", 'k'),
    phrase("is", "not", 'o'),          phrase("left", "join", 'k'),
    phrase("not", "between", 'o'),     phrase("not", "in", 'o'),
    phrase("not", "like", 'o'),        phrase("not", "regexp", 'o'),
    phrase("not", "rlike", 'o'),       phrase("order", "by", 'B'),
    phrase("outer", "join", 'k'),      phrase("replace", "into", 'E'),
    phrase("right", "join", 'k'),      phrase("select", "all", 'E'),
    phrase("select", "distinct", 'E'), phrase("select", "top", 'E'),
    phrase("sounds", "like", 'o'),     phrase("truncate", "table", 'E'),
    phrase("union", "all", 'U'),       phrase("union", "distinct", 'U'),
    phrase("waitfor", "delay", 'E'),   phrase("waitfor", "time", 'E'),
};

constexpr bool phrasesValid() {
  for (const Phrase& p : kPhrases) {
    if (p.first < 0 || p.second < 0) return false;
  }
  return true;
}
static_assert(phrasesValid(), "every phrase word must be in kKeywords");

char phraseType(int first, int second) {
  for (const Phrase& p : kPhrases) {
    if (p.first == first && p.second == second) return p.type;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Shapes that only injections take.

enum ShapeFlag : std::uint8_t {
  kExact = 0,
  kPrefix = 1,    // any fingerprint starting with the shape
  kOpenTail = 2,  // the last token is a string left open, for the application's quote to close
  // The last token is a comment that only cuts off the rest of the query: "admin'--" is a login
  // bypass, "the players' #1 pick" and "1 or 2 -- see below" are text.
  kBareComment = 4,
  // The value opened a parenthesis before its first token: "(select 1)" is a subquery handed to
  // the application, "select one" is a form label.
  kLeadParen = 8,
  // The last token is an operand only SQL writes: "!0", "1 DIV 1". "1 and 2" and "true or
  // false" are text, "1 and !0" is a boolean test.
  kSqlOperand = 16,
  // The value opened no parenthesis of its own: "1, 1)--" closes the application's, "(1, 2) --"
  // is a pair.
  kNoLeadParen = 32,
};

struct Shape {
  std::string_view fingerprint;
  std::uint8_t flags;
};

// Grouped by family; sorted at compile time into kShapeIndex for binary search. A quoted reading
// always starts with 's' (the application's string the value closes), an as-is reading never
// does (shapes starting with 's' also require that string to be opened by the context:
// "'rock' and 'roll'" as is is text). Shapes are chosen so that text does not take them: "1 or
// 2" (1&1), "students' and teachers'" (s&ns), "workers' union select committee" (sUEnn) stay out.
constexpr Shape kShapes[] = {
    // Quoted tautologies and boolean tests: ' or 'a'='a, ' or 1=1--, ' and @@version like '5%.
    {"s&s", kOpenTail},
    {"sos", kOpenTail},
    {"s)&s", kOpenTail},
    {"s&sc", kExact},
    {"s&so", kPrefix},
    {"s&s&", kPrefix},
    {"s&1", kExact},
    {"s&1c", kExact},
    {"s&1o", kPrefix},
    {"s&1&", kPrefix},
    {"s&1;", kPrefix},
    {"s&1U", kPrefix},
    {"s&1B", kPrefix},
    {"s&no", kPrefix},
    {"s&vo", kPrefix},
    {"sk1o", kPrefix},
    // Quoted function calls and subqueries: ' or sleep(5)#, '+(select ...)+', ' and (select ...
    {"s&f(", kPrefix},
    {"sof(", kPrefix},
    {"so(E", kPrefix},
    {"s&(E", kPrefix},
    {"s&(1", kPrefix},
    {"s&(s", kPrefix},
    {"s&(f", kPrefix},
    {"s&(v", kPrefix},
    // Closing parentheses first: ') or ('a'='a, ')) or ((1=1.
    {"s)&(", kPrefix},
    {"s)&1o", kPrefix},
    {"s)&so", kPrefix},
    {"s)&f(", kPrefix},
    {"s))&(", kPrefix},
    {"s))&1", kPrefix},
    {"s))&s", kPrefix},
    {"s))&f", kPrefix},
    // Quoted UNION: any continuation but more words ("union select committee").
    {"sUE", kExact},
    {"sUE(", kPrefix},
    {"sUE1", kPrefix},
    {"sUEc", kPrefix},
    {"sUEf", kPrefix},
    {"sUEk", kPrefix},
    {"sUEo", kPrefix},
    {"sUEs", kPrefix},
    {"sUEv", kPrefix},
    {"sUEn", kExact},
    {"sUEn,", kPrefix},
    {"sUEnk", kPrefix},
    {"sUEnc", kPrefix},
    {"s)UE", kPrefix},
    {"s))UE", kPrefix},
    {"sU(E", kPrefix},
    {"s)U(E", kPrefix},
    // Quoted stacked queries, MSSQL WAITFOR without ';', ORDER BY / GROUP BY column probing.
    {"s;E", kPrefix},
    {"s);E", kPrefix},
    {"sEs", kPrefix},
    {"s)Es", kPrefix},
    {"sB1", kPrefix},
    {"s)B1", kPrefix},
    {"sBn", kExact},
    {"sBn,", kPrefix},
    // Truncation: the rest of the application's query commented out (admin'--).
    {"sc", kBareComment},
    {"s)c", kBareComment},
    {"s))c", kBareComment},
    {"s;c", kBareComment},
    {"so1c", kBareComment},
    {"sBnc", kBareComment},
    // Numeric and bare-word tautologies and boolean tests: 1 or 1=1, 1 and sleep(5), x or 1=1.
    {"1&1o", kPrefix},
    {"1&1", kSqlOperand},
    {"1&1c", kBareComment},
    {"1&1U", kPrefix},
    {"1&so", kPrefix},
    {"1&no1", kExact},
    {"1&nos", kExact},
    {"1&vo", kPrefix},
    {"1&f(", kPrefix},
    {"1&(E", kPrefix},
    {"1&(1o", kPrefix},
    {"1&(f", kPrefix},
    {"1&(so", kPrefix},
    {"n&1o", kPrefix},
    {"n&f(", kPrefix},
    {"1o(E", kPrefix},
    {"1of(", kPrefix},
    {"no(E", kPrefix},
    {"1)&(", kPrefix},
    {"1)&1o", kPrefix},
    {"1)&f(", kPrefix},
    {"1)&so", kPrefix},
    {"1))&(", kPrefix},
    {"1))&1", kPrefix},
    {"1))&f", kPrefix},
    // Numeric UNION, stacked queries, WAITFOR, ORDER BY probing.
    {"1UE", kPrefix},
    {"1U(E", kPrefix},
    {"1)UE", kPrefix},
    {"1))UE", kPrefix},
    {"1)U(E", kPrefix},
    {"1;E", kExact},
    {"1;E(", kPrefix},
    {"1;E1", kPrefix},
    {"1;Ec", kPrefix},
    {"1;Ef", kPrefix},
    {"1;Ek", kPrefix},
    {"1;En", kPrefix},
    {"1;Eok", kPrefix},
    {"1;Es", kPrefix},
    {"1;Ev", kPrefix},
    {"1);E", kPrefix},
    {"1Es", kPrefix},
    {"1)Es", kPrefix},
    {"1B1", kExact},
    {"1B1,", kPrefix},
    {"1B1c", kBareComment},
    {"1)B1", kPrefix},
    // Bare-word UNION (a column or table name injected into), as for the quoted form.
    {"n)UE", kPrefix},
    {"nU(E", kPrefix},
    {"nUE(", kPrefix},
    {"nUE1", kPrefix},
    {"nUEf", kPrefix},
    {"nUEk", kPrefix},
    {"nUEo", kPrefix},
    {"nUEs", kPrefix},
    {"nUEv", kPrefix},
    {"nUEn,", kExact},
    {"nUEnk", kExact},
    {"nUEnc", kExact},
    // Values that start inside the expression: "or 1=1", ") union select", "union select 1".
    {"&1o", kPrefix},
    {"&f(", kPrefix},
    {"&(E", kPrefix},
    {"&so", kPrefix},
    {")UE", kPrefix},
    {")&1o", kPrefix},
    {")&f(", kPrefix},
    {")&(1", kPrefix},
    {")&(E", kPrefix},
    {");E", kPrefix},
    {"UE(", kPrefix},
    {"UE1", kPrefix},
    {"UEf", kPrefix},
    {"UEk", kPrefix},
    {"UEo", kPrefix},
    {"UEs", kPrefix},
    {"UEv", kPrefix},
    {"UEn,", kPrefix},
    {"UEnk", kPrefix},
    // A function call taking a subquery or nested calls: extractvalue(1,concat(...)),
    // exists(select; a condition as a first argument: if(1=1,sleep(5),0), elt(1=1,...).
    {"f(1,f", kPrefix},
    {"f(E", kPrefix},
    {"f(1o1", kPrefix},
    // A value that is a subquery on a condition: (select (case when (1=1) then ... end)).
    {"E(W", kPrefix},
    {"EW(", kPrefix},
    {"EW1", kPrefix},
    {"EWf", kPrefix},
    // CASE WHEN ('W') as a condition or operand: 1 and case when 1=1 then ..., '+(case when ...
    {"1&W(", kPrefix},
    {"1&W1", kPrefix},
    {"1&Wf", kPrefix},
    {"1&Wno", kPrefix},
    {"1&Wv", kPrefix},
    {"1&(W", kPrefix},
    {"1oW", kPrefix},
    {"1o(W", kPrefix},
    {"s&W(", kPrefix},
    {"s&W1", kPrefix},
    {"s&Wf", kPrefix},
    {"s&Wno", kPrefix},
    {"s&Wv", kPrefix},
    {"s&(W", kPrefix},
    {"soW", kPrefix},
    {"so(W", kPrefix},
    {"W(E", kPrefix},
    {"W(1", kPrefix},
    {"W1o", kPrefix},
    {"Wf(", kPrefix},
    // A bare SELECT as a condition: 1 and select 1, ' or select @@version.
    {"1&E(", kPrefix},
    {"1&E1", kPrefix},
    {"1&Ef", kPrefix},
    {"1&Ev", kPrefix},
    {"s&E(", kPrefix},
    {"s&E1", kPrefix},
    {"s&Ef", kPrefix},
    {"s&Ev", kPrefix},
    // A value that is a whole subquery: (select 1), (select top 1 name from sysobjects),
    // (select password from users limit 1).
    {"E(E", kPrefix | kLeadParen},
    {"E(f", kPrefix | kLeadParen},
    {"E1,", kPrefix | kLeadParen},
    {"E1U", kPrefix | kLeadParen},
    {"E1k", kPrefix | kLeadParen},
    {"E1nk", kPrefix | kLeadParen},
    {"Ef", kPrefix | kLeadParen},
    {"Ev", kPrefix | kLeadParen},
    {"Eok", kPrefix | kLeadParen},
    {"EnknB", kPrefix | kLeadParen},
    {"Enknk", kPrefix | kLeadParen},
    // INSERT context: the value closes the application's row and adds its own
    // (x', 'admin')--, '),('a','b')--, 1, 1)--).
    {"s,s)", kPrefix},
    {"s,1)", kPrefix},
    {"s,s,s", kPrefix},
    {"s),(", kPrefix},
    {"1,1)c", kBareComment | kNoLeadParen},
    {"1),(s", kPrefix},
    // UPDATE context: the value closes its column and sets another (abc', role='admin).
    {"s,no(", kPrefix},
    {"s,no1", kPrefix},
    {"s,nof", kPrefix},
    {"s,nos", kPrefix},
    {"s,nov", kPrefix},
    // Sort and column parameters: name order by 1, id,(select ...), name desc; drop table ...
    {"nB1c", kBareComment},
    {"sBnk", kPrefix},
    {"n,(E", kPrefix},
    {"1,(E", kPrefix},
    {"s,(E", kPrefix},
    {"nk,(E", kPrefix},
    {"nk;E", kPrefix},
    // LIMIT / OFFSET context: 1 limit 1--, 10 limit 1 into @a, 1 offset 1; drop ...
    {"1k1c", kBareComment},
    {"sk1c", kBareComment},
    {"1k1U", kPrefix},
    {"1k1;", kPrefix},
    {"1k1kv", kPrefix},
    // Arithmetic with the application's string: '-0-', '*1*'.
    {"so1os", kOpenTail},
    // Assignment in a condition, MSSQL IF before a stacked WAITFOR: 1 and (@a:=1)=1, '; if (1=1).
    {"1&(vo", kPrefix},
    {"s;f(", kPrefix},
    // HAVING / WHERE tautology after a number: 1 having 1=1.
    {"1k1o1", kPrefix},
};

// Fingerprints packed big-endian into integers: integer order is string order, and a binary
// search compares words instead of calling memcmp.
constexpr std::uint64_t packFingerprint(std::string_view fp) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | (i < fp.size() ? static_cast<unsigned char>(fp[i]) : 0u);
  }
  return v;
}

struct ShapeKey {
  std::uint64_t key;
  std::uint8_t flags;
};

constexpr std::array<ShapeKey, std::size(kShapes)> buildShapeIndex() {
  std::array<ShapeKey, std::size(kShapes)> index{};
  for (std::size_t i = 0; i < index.size(); ++i) {
    index[i] = {packFingerprint(kShapes[i].fingerprint), kShapes[i].flags};
  }
  std::sort(index.begin(), index.end(),
            [](const ShapeKey& a, const ShapeKey& b) { return a.key < b.key; });
  return index;
}
constexpr auto kShapeIndex = buildShapeIndex();

constexpr bool shapesValid() {
  for (const Shape& s : kShapes) {
    if (s.fingerprint.empty() || s.fingerprint.size() > kMaxSqliFingerprint) return false;
  }
  for (std::size_t i = 1; i < kShapeIndex.size(); ++i) {
    if (kShapeIndex[i - 1].key == kShapeIndex[i].key) return false;
  }
  return true;
}
static_assert(shapesValid(), "kShapes must be unique and at most 5 tokens");

const ShapeKey* findShape(std::string_view fp) {
  const std::uint64_t key = packFingerprint(fp);
  const auto* it = std::lower_bound(kShapeIndex.begin(), kShapeIndex.end(), key,
                                    [](const ShapeKey& s, std::uint64_t k) { return s.key < k; });
  if (it == kShapeIndex.end() || it->key != key) return nullptr;
  return it;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

struct Token {
  char type = 0;
  char parenType = 0;  // pending: the type this token takes if the next token is '('
  bool arith = false;
  bool unary = false;
  bool contextOpened = false;  // string opened by the context quote, not by the value
  bool closed = true;          // string whose closing quote is in the value
  bool bareComment = false;    // comment with nothing but spaces, '-' and '+' after -- or #
  bool plus = false;           // a lone '+' (in a URL, a space decoded once too few times)
  bool leadParen = false;      // first token, after a '(' that opened the value
  bool bang = false;           // a lone '!'
  bool sqlOperand = false;     // operand written as only SQL writes it (see kSqlOperand)
  int keyword = -1;
};

constexpr bool isSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr bool isDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
constexpr bool isHexDigit(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr unsigned char toLower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}
// Bytes >= 0x80 belong to words: databases accept UTF-8 identifiers, and text in other scripts
// must not fall apart into unknown tokens.
constexpr bool isWordStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}
constexpr bool isWordChar(unsigned char c) {
  return isWordStart(c) || isDigit(c) || c == '.';
}

class Tokenizer {
 public:
  Tokenizer(std::string_view input, char context) : in_(input), context_(context) {}

  // Fills `t` with the next token; false at the end of the input.
  bool next(Token& t) {
    t = Token{};
    if (context_ != 0) {
      t.type = 's';
      t.contextOpened = true;
      t.closed = scanString(context_);
      context_ = 0;
      return true;
    }
    while (pos_ < in_.size()) {
      const unsigned char c = at(pos_);
      const unsigned char c1 = at(pos_ + 1);
      if (isSpace(c) || (c > 0 && c < 0x20) || loneNbsp(pos_)) {
        ++pos_;
        continue;
      }
      if (c == '*' && c1 == '/' && versioned_ > 0) {  // end of a /*! ... */ block of code
        pos_ += 2;
        --versioned_;
        continue;
      }
      if (c == '/' && c1 == '*') {
        if (skipVersionedOpening()) continue;
        const std::size_t end = in_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? in_.size() : end + 2;
        t.type = 'c';
        t.bareComment = true;
        return true;
      }
      if ((c == '-' && c1 == '-') || c == '#') {
        const std::size_t end = std::min(in_.find('\n', pos_), in_.size());
        t.bareComment = true;
        for (std::size_t i = pos_ + (c == '#' ? 1 : 2); i < end; ++i) {
          const unsigned char b = at(i);
          if (!isSpace(b) && b != '-' && b != '+') {
            t.bareComment = false;
            break;
          }
        }
        pos_ = end == in_.size() ? end : end + 1;
        t.type = 'c';
        return true;
      }
      if (c == '\'' || c == '"') {
        ++pos_;
        t.type = 's';
        t.closed = scanString(static_cast<char>(c));
        return true;
      }
      if (c == '$' && scanDollarString(t)) return true;
      if (c == ':' &&
          c1 == ':') {  // PostgreSQL cast: "1'::int" is the string, as far as shape goes
        skipCast();
        continue;
      }
      if (c == '`' || c == '[') {  // quoted identifiers (MySQL, MSSQL)
        const std::size_t end = in_.find(c == '`' ? '`' : ']', pos_ + 1);
        pos_ = end == std::string_view::npos ? in_.size() : end + 1;
        t.type = 'n';
        return true;
      }
      if (isDigit(c) || (c == '.' && isDigit(c1))) {
        scanNumber();
        t.type = '1';
        return true;
      }
      if (c == '@') {
        pos_ += c1 == '@' ? 2 : 1;
        while (pos_ < in_.size() && isWordChar(at(pos_))) ++pos_;
        t.type = 'v';
        return true;
      }
      if (isWordStart(c) || percentSpelled(pos_)) {
        scanWord(t);
        return true;
      }
      if (c == '(' || c == ')' || c == ',' || c == ';') {
        ++pos_;
        t.type = static_cast<char>(c);
        return true;
      }
      if (scanOperator(t)) return true;
      ++pos_;
      t.type = '?';
      return true;
    }
    return false;
  }

 private:
  unsigned char at(std::size_t i) const {
    return i < in_.size() ? static_cast<unsigned char>(in_[i]) : 0;
  }

  // MSSQL and MySQL read control characters as spaces (sqlmap's space2mssqlblank and
  // space2mysqlblank send %01-%1F), and MySQL reads a Latin-1 no-break space (0xA0) as one too.
  // 0xA0 right after an ASCII byte cannot be the continuation of a UTF-8 character, so text in
  // other scripts keeps its bytes.
  bool loneNbsp(std::size_t i) const { return at(i) == 0xa0 && (i == 0 || at(i - 1) < 0x80); }

  // "%S%E%L%E%C%T": ASP drops a '%' that starts no escape (sqlmap's percentage tamper). Two '%'
  // each followed by a letter, so "50%off" stays an operator and a word.
  bool percentSpelled(std::size_t i) const {
    return at(i) == '%' && isWordStart(at(i + 1)) && at(i + 1) < 0x80 && at(i + 2) == '%' &&
           isWordStart(at(i + 3)) && at(i + 3) < 0x80;
  }

  bool wordContinues(std::size_t i) const {
    if (at(i) == '%') return isWordStart(at(i + 1)) && at(i + 1) < 0x80 && percent_;
    return isWordChar(at(i)) && !loneNbsp(i);
  }

  // MySQL runs the inside of /*! ... */ (and MariaDB of /*M! ... */) as code, optionally only
  // from a version on: /*!50000union*/ is "union".
  bool skipVersionedOpening() {
    std::size_t p = pos_ + 2;
    if (toLower(at(p)) == 'm' && at(p + 1) == '!') ++p;
    if (at(p) != '!') return false;
    ++p;
    for (int i = 0; i < 6 && isDigit(at(p)); ++i) ++p;
    pos_ = p;
    if (versioned_ < 1'000'000) ++versioned_;
    return true;
  }

  // After the opening quote; returns whether the closing quote was found. Both the SQL doubled
  // quote and the MySQL/PostgreSQL-E backslash escape stay inside the string.
  bool scanString(char quote) {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '\\') {
        pos_ = std::min(pos_ + 2, in_.size());
      } else if (c == quote) {
        if (pos_ + 1 < in_.size() && in_[pos_ + 1] == quote) {
          pos_ += 2;
        } else {
          ++pos_;
          return true;
        }
      } else {
        ++pos_;
      }
    }
    return false;
  }

  // PostgreSQL dollar quoting: $$text$$ and $tag$text$tag$ are strings with no escapes. A '$' in
  // any other place is part of a word (Oracle v$version, MSSQL identifiers) or an operator.
  bool scanDollarString(Token& t) {
    std::size_t p = pos_ + 1;
    while (p < in_.size() && p - pos_ <= kMaxKeywordLength &&
           ((isWordStart(at(p)) && at(p) < 0x80 && at(p) != '$') ||
            (p > pos_ + 1 && isDigit(at(p))))) {
      ++p;
    }
    if (at(p) != '$') return false;
    const std::string_view tag = in_.substr(pos_, p + 1 - pos_);
    const std::size_t end = in_.find(tag, p + 1);
    pos_ = end == std::string_view::npos ? in_.size() : end + tag.size();
    t.type = 's';
    t.closed = end != std::string_view::npos;
    return true;
  }

  // "::" and the type name after it: a cast changes the type of an operand, not the shape.
  void skipCast() {
    pos_ += 2;
    while (pos_ < in_.size() && isSpace(at(pos_))) ++pos_;
    while (pos_ < in_.size() && isWordChar(at(pos_)) && at(pos_) != '.') ++pos_;
  }

  void scanNumber() {
    if (at(pos_) == '0' && (toLower(at(pos_ + 1)) == 'x' || toLower(at(pos_ + 1)) == 'b')) {
      const bool hex = toLower(at(pos_ + 1)) == 'x';
      std::size_t p = pos_ + 2;
      while (p < in_.size() && (hex ? isHexDigit(at(p)) : (at(p) == '0' || at(p) == '1'))) ++p;
      if (p > pos_ + 2) {
        pos_ = p;
        return;
      }
    }
    while (isDigit(at(pos_))) ++pos_;
    if (at(pos_) == '.') {
      ++pos_;
      while (isDigit(at(pos_))) ++pos_;
    }
    if (toLower(at(pos_)) == 'e') {
      std::size_t p = pos_ + 1;
      if (at(p) == '+' || at(p) == '-') ++p;
      if (isDigit(at(p))) {
        while (isDigit(at(p))) ++p;
        pos_ = p;
      }
    }
  }

  void scanWord(Token& t) {
    const std::size_t start = pos_;
    percent_ = percentSpelled(pos_);
    // The word in lowercase without ASP's '%' (only the first kMaxKeywordLength + 1 bytes matter:
    // a longer word is no keyword).
    char lower[kMaxKeywordLength + 1];
    std::size_t len = 0;
    bool dotted = false;
    while (pos_ < in_.size() && wordContinues(pos_)) {
      const unsigned char c = at(pos_++);
      if (c == '%') continue;
      if (c == '.') dotted = true;
      if (len < sizeof lower) lower[len] = static_cast<char>(toLower(c));
      ++len;
    }
    percent_ = false;
    // N'...', X'...', B'...', E'...': prefixed string literals.
    if (pos_ - start == 1 && at(pos_) == '\'') {
      const unsigned char p = toLower(at(start));
      if (p == 'n' || p == 'x' || p == 'b' || p == 'e') {
        ++pos_;
        t.type = 's';
        t.closed = scanString('\'');
        return;
      }
    }
    t.type = 'n';
    int k = len <= kMaxKeywordLength ? lookupKeyword(std::string_view(lower, len)) : -1;
    if (k < 0 && len < kMaxKeywordLength) k = joinCommentedWord(lower, len);
    if (k >= 0) {
      const Keyword& kw = kKeywords[static_cast<std::size_t>(k)];
      t.type = kw.type;
      t.parenType = kw.parenType;
      t.arith = (kw.flags & kArith) != 0;
      t.unary = (kw.flags & kUnary) != 0;
      t.keyword = k;
      return;
    }
    // A qualified name called like a function: dbms_pipe.receive_message(, utl_inaddr.x(.
    if (dotted) t.parenType = 'f';
  }

  // "U/**/NION S/**/ELECT": filters that delete comments turn the fragments into one keyword
  // (sqlmap's randomcomments tamper). Fragments joined by comments with no space around them
  // are read as that keyword when, together, they are one; `lower` holds the first `len` bytes.
  int joinCommentedWord(const char* lower, std::size_t len) {
    char joined[kMaxKeywordLength];
    std::memcpy(joined, lower, len);
    std::size_t p = pos_;
    for (int fragments = 0; fragments < 8; ++fragments) {
      if (at(p) != '/' || at(p + 1) != '*' || at(p + 2) == '!') return -1;
      const std::size_t end = in_.find("*/", p + 2);
      if (end == std::string_view::npos) return -1;
      p = end + 2;
      if (!isWordStart(at(p)) || at(p) >= 0x80) return -1;
      while (p < in_.size() && isWordChar(at(p)) && at(p) != '.') {
        if (len == kMaxKeywordLength) return -1;
        joined[len++] = static_cast<char>(toLower(at(p++)));
      }
      const int k = lookupKeyword(std::string_view(joined, len));
      if (k >= 0) {
        pos_ = p;
        return k;
      }
    }
    return -1;
  }

  bool scanOperator(Token& t) {
    const unsigned char c = at(pos_);
    const unsigned char c1 = at(pos_ + 1);
    t.type = 'o';
    if (c == '<' && c1 == '=' && at(pos_ + 2) == '>') {
      pos_ += 3;
      return true;
    }
    if ((c == '|' && c1 == '|') || (c == '&' && c1 == '&')) {
      pos_ += 2;
      t.type = '&';
      return true;
    }
    if ((c == '<' && (c1 == '=' || c1 == '>')) || (c == '>' && c1 == '=') ||
        ((c == '!' || c == '=') && c1 == '=') || (c == ':' && c1 == '=') ||
        (c == '!' && (c1 == '<' || c1 == '>'))) {
      pos_ += 2;
      return true;
    }
    if ((c == '<' && c1 == '<') || (c == '>' && c1 == '>')) {
      pos_ += 2;
      t.arith = true;
      return true;
    }
    switch (c) {
      case '=':
      case '<':
      case '>':
        break;
      case '+':
        t.plus = c1 != '+';
        t.arith = true;
        t.unary = true;
        break;
      case '-':
      case '~':
        t.arith = true;
        t.unary = true;
        break;
      case '!':
        t.bang = true;
        t.unary = true;
        break;
      case '*':
      case '/':
      case '%':
      case '^':
      case '|':
      case '&':
        t.arith = true;
        break;
      default:
        return false;
    }
    ++pos_;
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  char context_;
  int versioned_ = 0;
  bool percent_ = false;  // scanning a word spelled with ASP's '%' before each letter
};

// ---------------------------------------------------------------------------------------------
// Folder

constexpr bool isOperand(const Token& t) {
  return (t.type == '1' || t.type == 'n' || t.type == 'v') && t.parenType == 0;
}

// Types after which '+', '-', '!', '~' and NOT can only be unary.
constexpr bool takesUnary(char type) {
  return type == '&' || type == '(' || type == ',' || type == 'E' || type == 'k' || type == 'U' ||
         type == 'B' || type == ';' || type == 'W';
}

struct Folded {
  // One slot more than the fingerprint: a sixth token proves the first five final.
  std::array<Token, kMaxSqliFingerprint + 1> tokens{};
  std::size_t size = 0;
};

Folded fold(std::string_view value, char context) {
  Folded f;
  Tokenizer tokenizer(value, context);
  Token t;
  bool endsInComment = false;
  bool bareComment = false;
  bool leadParen = false;
  bool negated = false;  // a '!' was folded away before the coming operand
  while (f.size <= kMaxSqliFingerprint && tokenizer.next(t)) {
    if (t.type == 'c') {  // comments separate tokens; only a trailing one is kept
      endsInComment = true;
      bareComment = t.bareComment;
      continue;
    }
    endsInComment = false;
    if (f.size > 0) {
      Token& prev = f.tokens[f.size - 1];
      if (prev.parenType != 0) {  // a function name is one only if called
        if (t.type == '(') prev.type = prev.parenType;
        prev.parenType = 0;
      }
    }
    if (f.size == 0) {  // leading parentheses and signs do not change what follows
      if (t.type == '(') leadParen = true;
      if (t.type == '(' || (t.type == 'o' && t.unary)) continue;
      t.leadParen = leadParen;
      f.tokens[f.size++] = t;
      continue;
    }
    // "1+AND+1=1", "1'+OR+'x'='x": a '+' glued to a keyword is a space that was decoded one
    // time too few (a literal '+' in a path, or "%2B" for an encoded "+"). No SQL puts an
    // arithmetic sign before AND, UNION or SELECT.
    if (f.size >= 2 && f.tokens[f.size - 1].plus && t.keyword >= 0 &&
        (t.type == '&' || t.type == 'U' || t.type == 'E' || t.type == 'B' || t.type == 'W')) {
      --f.size;
    }
    Token& prev = f.tokens[f.size - 1];
    if (prev.type == 's' && t.type == 's') {  // 'a' 'b' is one string in ANSI SQL
      prev.closed = t.closed;
      continue;
    }
    if ((prev.type == ';' && t.type == ';') || (prev.type == '&' && t.type == '&')) continue;
    if (prev.type == 'o' && t.type == 'o') {  // "= -", "is not", "<> !"
      prev.arith = prev.arith && t.arith;
      prev.unary = false;
      prev.plus = false;
      prev.keyword = t.keyword;
      continue;
    }
    if (t.type == 'o' && t.unary && takesUnary(prev.type)) {
      negated = negated || t.bang;
      continue;
    }
    if (negated) {
      t.sqlOperand = true;
      negated = false;
    }
    if (prev.keyword >= 0 && t.keyword >= 0) {
      const char merged = phraseType(prev.keyword, t.keyword);
      if (merged != 0) {
        prev.type = merged;
        prev.parenType = 0;
        continue;
      }
    }
    if (f.size >= 2 && prev.type == 'o' && prev.arith && isOperand(f.tokens[f.size - 2]) &&
        isOperand(t)) {  // "1-1", "id*2", "@a|1" are one operand
      Token& operand = f.tokens[f.size - 2];
      operand.sqlOperand = operand.sqlOperand || t.sqlOperand || prev.keyword >= 0;
      --f.size;
      continue;
    }
    f.tokens[f.size++] = t;
  }
  if (f.size > 0) f.tokens[f.size - 1].parenType = 0;
  if (endsInComment && f.size < kMaxSqliFingerprint) {
    f.tokens[f.size] = Token{};
    f.tokens[f.size].type = 'c';
    f.tokens[f.size++].bareComment = bareComment;
  }
  return f;
}

bool matches(const Folded& f, std::string_view fp) {
  if (fp.empty()) return false;
  if (fp[0] == 's' && !f.tokens[0].contextOpened) return false;
  for (std::size_t len = 1; len <= fp.size(); ++len) {
    const ShapeKey* s = findShape(fp.substr(0, len));
    if (s == nullptr) continue;
    if (len < fp.size() && (s->flags & kPrefix) == 0) continue;
    if ((s->flags & kOpenTail) != 0 &&
        (len != fp.size() || f.tokens[len - 1].type != 's' || f.tokens[len - 1].closed)) {
      continue;
    }
    if ((s->flags & kBareComment) != 0 && !f.tokens[len - 1].bareComment) continue;
    if ((s->flags & kLeadParen) != 0 && !f.tokens[0].leadParen) continue;
    if ((s->flags & kNoLeadParen) != 0 && f.tokens[0].leadParen) continue;
    if ((s->flags & kSqlOperand) != 0 && !f.tokens[len - 1].sqlOperand) continue;
    return true;
  }
  return false;
}

}  // namespace

namespace sqli_internal {

Reading readSqli(std::string_view value, char context) {
  const Folded f = fold(value, context);
  Reading r;
  r.size = std::min(f.size, kMaxSqliFingerprint);
  for (std::size_t i = 0; i < r.size; ++i) r.fingerprint[i] = f.tokens[i].type;
  r.injection = matches(f, r.text());
  return r;
}

}  // namespace sqli_internal

SqliResult detectSqli(std::string_view value) {
  SqliResult result;
  for (const char context : {'\0', '\'', '"'}) {
    // A quote context needs that quote in the value to close the application's string.
    if (context != 0 && value.find(context) == std::string_view::npos) continue;
    const sqli_internal::Reading r = sqli_internal::readSqli(value, context);
    if (r.injection) {
      result.injection = true;
      result.fingerprint = r.fingerprint;
      result.context = context;
      return result;
    }
  }
  return result;
}

}  // namespace mamori::detect
