// The scopegate policy language as PEGTL rules: grammar/policy.peg, rule for rule, with
// the same names and each production in a trailing comment. Rules only: no actions and
// no error messages live here (dsl/src/parse.cpp attaches the actions, syntax_errors.hpp
// the messages). Every `must<>` marks a point of no return; the dsl's control class gives
// each of them a message for people. Only conditions nest (parentheses and `not`); the
// dsl's actions bound their depth (max_condition_depth in scopegate/dsl/parse.hpp), so
// the parser's depth is bounded. Header-only; the rules are empty types, safe to use
// from any thread.
#pragma once

#include <tao/pegtl.hpp>

namespace scopegate::grammar {

namespace pegtl = tao::pegtl;
using pegtl::at;
using pegtl::eof;
using pegtl::must;
using pegtl::not_at;
using pegtl::not_one;
using pegtl::one;
using pegtl::opt;
using pegtl::plus;
using pegtl::range;
using pegtl::ranges;
using pegtl::seq;
using pegtl::sor;
using pegtl::star;

// ---------------------------------------------------------------- lexical ----------

struct whitespace : one<' ', '\t', '\r', '\n'> {};  // whitespace <- [ \t\r\n]
struct comment : seq<one<'#'>, star<not_at<one<'\r', '\n'>>, pegtl::utf8::any>> {};
// comment <- '#' (![\r\n] .)*
struct skip : star<sor<whitespace, comment>> {};  // skip <- (whitespace / comment)*
struct word_char : ranges<'A', 'Z', 'a', 'z', '0', '9', '_', '_', '-', '-'> {};
// word_char <- [A-Za-z0-9_-]
struct name_char : seq<not_at<one<' ', '\t', '\r', '\n', '{', '}', '"', '#'>>, pegtl::utf8::any> {};
// name_char <- ![ \t\r\n{}"#] .
struct name : plus<name_char> {};  // name <- name_char+
struct open_brace : one<'{'> {};   // open_brace <- '{'
struct close_brace : one<'}'> {};  // close_brace <- '}'
struct bom : pegtl::utf8::bom {};  // bom <- '\xEF\xBB\xBF'
struct end_of_file : eof {};       // end_of_file <- !.

struct string_end : one<'"'> {};                       // string_end <- '"'
struct escape_code : one<'"', '\\', 'n', 't'> {};      // escape_code <- ["\\nt]
struct escape : seq<one<'\\'>, must<escape_code>> {};  // escape <- '\\' ^escape_code
struct plain_char : seq<not_at<one<'"', '\\', '\r', '\n'>>, pegtl::utf8::any> {};
// plain_char <- !["\\\r\n] .
struct string_char : sor<escape, plain_char> {};  // string_char <- escape / plain_char
struct quoted_string : seq<one<'"'>, star<string_char>, must<string_end>> {};
// quoted_string <- '"' string_char* ^string_end

// ---------------------------------------------------------------- keywords ---------

template <char... Cs>
using keyword_text = seq<pegtl::string<Cs...>, not_at<name_char>>;

struct kw_scope : keyword_text<'s', 'c', 'o', 'p', 'e'> {};  // kw_scope <- 'scope' !name_char
struct kw_future : keyword_text<'f', 'u', 't', 'u', 'r', 'e'> {};
// kw_future <- 'future' !name_char
struct kw_user : keyword_text<'u', 's', 'e', 'r'> {};  // kw_user <- 'user' !name_char
struct kw_public : keyword_text<'p', 'u', 'b', 'l', 'i', 'c'> {};
// kw_public <- 'public' !name_char
struct kw_authenticated
    : keyword_text<'a', 'u', 't', 'h', 'e', 'n', 't', 'i', 'c', 'a', 't', 'e', 'd'> {};
// kw_authenticated <- 'authenticated' !name_char
struct kw_role : keyword_text<'r', 'o', 'l', 'e'> {};  // kw_role <- 'role' !name_char
struct kw_summary : keyword_text<'s', 'u', 'm', 'm', 'a', 'r', 'y'> {};
// kw_summary <- 'summary' !name_char
struct kw_note : keyword_text<'n', 'o', 't', 'e'> {};  // kw_note <- 'note' !name_char
struct kw_use_case : keyword_text<'u', 's', 'e', '_', 'c', 'a', 's', 'e'> {};
// kw_use_case <- 'use_case' !name_char
struct kw_implies : keyword_text<'i', 'm', 'p', 'l', 'i', 'e', 's'> {};
// kw_implies <- 'implies' !name_char
struct kw_scopes : keyword_text<'s', 'c', 'o', 'p', 'e', 's'> {};
// kw_scopes <- 'scopes' !name_char
struct kw_forbid : keyword_text<'f', 'o', 'r', 'b', 'i', 'd'> {};
// kw_forbid <- 'forbid' !name_char
struct kw_message : keyword_text<'m', 'e', 's', 's', 'a', 'g', 'e'> {};
// kw_message <- 'message' !name_char
struct kw_allow_warning
    : keyword_text<'a', 'l', 'l', 'o', 'w', '_', 'w', 'a', 'r', 'n', 'i', 'n', 'g'> {};
// kw_allow_warning <- 'allow_warning' !name_char

// Words of conditions end at any non-word character: `when(`, `not(` are words.
template <char... Cs>
using operator_text = seq<pegtl::string<Cs...>, not_at<word_char>>;

struct kw_when : operator_text<'w', 'h', 'e', 'n'> {};  // kw_when <- 'when' !word_char
struct keyword
    : sor<kw_scope, kw_future, kw_user, kw_public, kw_authenticated, kw_role, kw_summary, kw_note,
          kw_use_case, kw_implies, kw_scopes, kw_when, kw_forbid, kw_message, kw_allow_warning> {};
// keyword <- kw_scope / kw_future / kw_user / kw_public / kw_authenticated / kw_role
//          / kw_summary / kw_note / kw_use_case / kw_implies / kw_scopes / kw_when / kw_forbid
//          / kw_message / kw_allow_warning

struct kw_and : operator_text<'a', 'n', 'd'> {};              // kw_and <- 'and' !word_char
struct kw_or : operator_text<'o', 'r'> {};                    // kw_or <- 'or' !word_char
struct kw_not : operator_text<'n', 'o', 't'> {};              // kw_not <- 'not' !word_char
struct kw_in : operator_text<'i', 'n'> {};                    // kw_in <- 'in' !word_char
struct kw_true : operator_text<'t', 'r', 'u', 'e'> {};        // kw_true <- 'true' !word_char
struct kw_false : operator_text<'f', 'a', 'l', 's', 'e'> {};  // kw_false <- 'false' !word_char
struct operator_word : sor<kw_and, kw_or, kw_not, kw_in, kw_true, kw_false> {};
// operator_word <- kw_and / kw_or / kw_not / kw_in / kw_true / kw_false

// ---------------------------------------------------------------- routes -----------

struct method_word : seq<ranges<'A', 'Z', 'a', 'z', '_', '_'>, star<word_char>> {};
// method_word <- [A-Za-z_] word_char*
struct method : sor<one<'*'>, method_word> {};  // method <- '*' / method_word
struct template_char : sor<seq<one<'{'>, star<not_one<'}', ' ', '\t', '\r', '\n'>>, one<'}'>>,
                           not_one<' ', '\t', '\r', '\n', '"', '#', '{', '}'>> {};
// template_char <- '{' [^}\s]* '}' / [^\s"#{}]
struct path_template : plus<template_char> {};  // path_template <- template_char+
struct description : quoted_string {};          // description <- quoted_string

// ---------------------------------------------------------------- conditions -------

struct expression;

struct open_paren : one<'('> {};                             // open_paren <- '('
struct close_paren : one<')'> {};                            // close_paren <- ')'
struct open_bracket : one<'['> {};                           // open_bracket <- '['
struct close_bracket : one<']'> {};                          // close_bracket <- ']'
struct string_value : quoted_string {};                      // string_value <- quoted_string
struct hex_digit : ranges<'0', '9', 'A', 'F', 'a', 'f'> {};  // hex_digit <- [0-9A-Fa-f]
struct address_char : ranges<'0', '9', 'A', 'F', 'a', 'f', ':', ':', '.', '.'> {};
// address_char <- [0-9A-Fa-f:.]
struct ipv6_body : seq<star<hex_digit>, one<':'>, star<address_char>> {};
// ipv6_body <- hex_digit* ':' address_char*
struct ipv4_body : seq<plus<range<'0', '9'>>, plus<one<'.'>, plus<range<'0', '9'>>>> {};
// ipv4_body <- [0-9]+ ('.' [0-9]+)+
struct prefix_length : seq<one<'/'>, plus<range<'0', '9'>>> {};  // prefix_length <- '/' [0-9]+
struct address : seq<sor<ipv6_body, ipv4_body>, opt<prefix_length>, not_at<word_char>> {};
// address <- (ipv6_body / ipv4_body) prefix_length? !word_char
struct integer : seq<opt<one<'-'>>, plus<range<'0', '9'>>, not_at<word_char>> {};
// integer <- '-'? [0-9]+ !word_char
struct attribute_head : seq<ranges<'a', 'z', '_', '_'>, star<word_char>> {};
// attribute_head <- [a-z_] word_char*
struct attribute_part : plus<word_char> {};  // attribute_part <- word_char+
struct attribute : seq<not_at<operator_word>, attribute_head, star<one<'.'>, attribute_part>> {};
// attribute <- !operator_word attribute_head ('.' attribute_part)*
struct list_item : sor<string_value, address, integer> {};
// list_item <- string_value / address / integer
struct list
    : seq<open_bracket, skip, opt<list_item, skip, star<one<','>, skip, must<list_item>, skip>>,
          must<close_bracket>> {};
// list <- open_bracket skip (list_item skip (',' skip ^list_item skip)*)? ^close_bracket
struct value : sor<list, string_value, address, integer, attribute> {};
// value <- list / string_value / address / integer / attribute
struct boolean : sor<kw_true, kw_false> {};  // boolean <- kw_true / kw_false
struct compare_op : sor<pegtl::string<'=', '='>, pegtl::string<'!', '='>, pegtl::string<'<', '='>,
                        pegtl::string<'>', '='>, one<'<'>, one<'>'>, kw_in> {};
// compare_op <- '==' / '!=' / '<=' / '>=' / '<' / '>' / kw_in
struct compare : seq<value, skip, must<compare_op>, skip, must<value>> {};
// compare <- value skip ^compare_op skip ^value
struct group : seq<open_paren, skip, must<expression>, skip, must<close_paren>> {};
// group <- open_paren skip ^expression skip ^close_paren
struct comparison : sor<group, compare, boolean> {};  // comparison <- group / compare / boolean
struct negation;
struct not_expr : seq<kw_not, skip, must<negation>> {};  // not_expr <- kw_not skip ^negation
struct negation : sor<not_expr, comparison> {};          // negation <- not_expr / comparison
struct and_tail : seq<kw_and, skip, must<negation>> {};  // and_tail <- kw_and skip ^negation
struct conjunction : seq<negation, star<skip, and_tail>> {};
// conjunction <- negation (skip and_tail)*
struct or_tail : seq<kw_or, skip, must<conjunction>> {};  // or_tail <- kw_or skip ^conjunction
struct expression : seq<conjunction, star<skip, or_tail>> {};
// expression <- conjunction (skip or_tail)*
struct condition : seq<kw_when, skip, must<expression>> {};
// condition <- kw_when skip ^expression

// ---------------------------------------------------------------- routes (cont.) ---

struct route_line : seq<not_at<keyword>, method, skip, must<path_template>, opt<skip, description>,
                        opt<skip, condition>> {};
// route_line <- !keyword method skip ^path_template (skip description)? (skip condition)?

// ---------------------------------------------------------------- acknowledgements -

struct warning_code : seq<range<'a', 'z'>, star<ranges<'a', 'z', '0', '9', '-', '-'>>> {};
// warning_code <- [a-z] [a-z0-9-]*
struct allow_warning_item
    : seq<kw_allow_warning, skip, must<warning_code>, skip, must<quoted_string>> {};
// allow_warning_item <- kw_allow_warning skip ^warning_code skip ^quoted_string

// ---------------------------------------------------------------- scopes -----------

struct scope_kind : sor<kw_future, kw_user> {};  // scope_kind <- kw_future / kw_user
struct scope_head : sor<seq<scope_kind, skip, must<kw_scope>>, kw_scope> {};
// scope_head <- scope_kind skip ^kw_scope / kw_scope
struct quoted_name : quoted_string {};          // quoted_name <- quoted_string
struct scope_name : sor<quoted_name, name> {};  // scope_name <- quoted_name / name
struct scope_ref : sor<quoted_name, seq<not_at<keyword>, name>> {};
// scope_ref <- quoted_name / !keyword name
struct route_start : seq<sor<plus<range<'A', 'Z'>>, one<'*'>>, whitespace> {};
// route_start <- ([A-Z]+ / '*') whitespace
struct implied_ref : seq<not_at<route_start>, scope_ref> {};
// implied_ref <- !route_start scope_ref
struct summary_item : seq<kw_summary, skip, must<quoted_string>> {};
// summary_item <- kw_summary skip ^quoted_string
struct note_item : seq<kw_note, skip, must<quoted_string>> {};
// note_item <- kw_note skip ^quoted_string
struct use_case_item : seq<kw_use_case, skip, must<quoted_string>> {};
// use_case_item <- kw_use_case skip ^quoted_string
struct implies_item : seq<kw_implies, skip, must<implied_ref>, star<skip, implied_ref>> {};
// implies_item <- kw_implies skip ^implied_ref (skip implied_ref)*
struct scope_item
    : sor<summary_item, note_item, use_case_item, implies_item, allow_warning_item, route_line> {};
// scope_item <- summary_item / note_item / use_case_item / implies_item
//             / allow_warning_item / route_line
struct scope_decl : seq<scope_head, skip, must<scope_name>, skip, opt<condition, skip>,
                        must<open_brace>, skip, star<scope_item, skip>, must<close_brace>> {};
// scope_decl <- scope_head skip ^scope_name skip (condition skip)? ^open_brace skip
//               (scope_item skip)* ^close_brace

// ---------------------------------------------------------------- access blocks ----

struct access_item : sor<allow_warning_item, route_line> {};
// access_item <- allow_warning_item / route_line
struct public_block
    : seq<kw_public, skip, must<open_brace>, skip, star<access_item, skip>, must<close_brace>> {};
// public_block <- kw_public skip ^open_brace skip (access_item skip)* ^close_brace
struct authenticated_block : seq<kw_authenticated, skip, must<open_brace>, skip,
                                 star<access_item, skip>, must<close_brace>> {};
// authenticated_block <- kw_authenticated skip ^open_brace skip (access_item skip)*
//                        ^close_brace

// ---------------------------------------------------------------- roles ------------

struct role_name : name {};                               // role_name <- name
struct all_scopes : seq<one<'*'>, not_at<name_char>> {};  // all_scopes <- '*' !name_char
struct scope_list : sor<all_scopes, seq<scope_ref, star<skip, scope_ref>>> {};
// scope_list <- all_scopes / scope_ref (skip scope_ref)*
struct scopes_item : seq<kw_scopes, skip, must<scope_list>> {};
// scopes_item <- kw_scopes skip ^scope_list
struct role_item : sor<summary_item, scopes_item, allow_warning_item> {};
// role_item <- summary_item / scopes_item / allow_warning_item
struct role_decl : seq<kw_role, skip, must<role_name>, skip, must<open_brace>, skip,
                       star<role_item, skip>, must<close_brace>> {};
// role_decl <- kw_role skip ^role_name skip ^open_brace skip (role_item skip)* ^close_brace

// ---------------------------------------------------------------- forbid rules -----

struct message_item : seq<kw_message, skip, must<quoted_string>> {};
// message_item <- kw_message skip ^quoted_string
struct forbid_item : sor<message_item, allow_warning_item> {};
// forbid_item <- message_item / allow_warning_item
struct forbid_decl
    : seq<kw_forbid, skip, must<method>, skip, must<path_template>, opt<skip, condition>, skip,
          must<open_brace>, skip, star<forbid_item, skip>, must<close_brace>> {};
// forbid_decl <- kw_forbid skip ^method skip ^path_template (skip condition)? skip
//                ^open_brace skip (forbid_item skip)* ^close_brace

// ---------------------------------------------------------------- file -------------

struct declaration : sor<scope_decl, public_block, authenticated_block, role_decl, forbid_decl> {};
// declaration <- scope_decl / public_block / authenticated_block / role_decl / forbid_decl
struct policy
    : seq<opt<bom>, skip, star<not_at<end_of_file>, must<declaration>, skip>, end_of_file> {};
// policy <- bom? skip (!end_of_file ^declaration skip)* end_of_file

}  // namespace scopegate::grammar
