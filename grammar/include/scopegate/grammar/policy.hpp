// The scopegate policy language as PEGTL rules: grammar/policy.peg, rule for rule, with
// the same names and each production in a trailing comment. Rules only: no actions and
// no error messages live here (dsl/src/parse.cpp attaches both). Every `must<>` marks a
// point of no return; the dsl's control class gives each of them a message for people.
// The language does not nest, so the parser's depth is bounded by the grammar itself.
// Header-only; the rules are empty types, safe to use from any thread.
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
struct kw_when : keyword_text<'w', 'h', 'e', 'n'> {};  // kw_when <- 'when' !name_char
struct kw_forbid : keyword_text<'f', 'o', 'r', 'b', 'i', 'd'> {};
// kw_forbid <- 'forbid' !name_char
struct keyword : sor<kw_scope, kw_future, kw_user, kw_public, kw_authenticated, kw_role, kw_summary,
                     kw_note, kw_use_case, kw_implies, kw_scopes, kw_when, kw_forbid> {};
// keyword <- kw_scope / kw_future / kw_user / kw_public / kw_authenticated / kw_role
//          / kw_summary / kw_note / kw_use_case / kw_implies / kw_scopes / kw_when / kw_forbid

// ---------------------------------------------------------------- routes -----------

struct method_word : seq<ranges<'A', 'Z', 'a', 'z', '_', '_'>, star<word_char>> {};
// method_word <- [A-Za-z_] word_char*
struct method : sor<one<'*'>, method_word> {};  // method <- '*' / method_word
struct template_char : sor<seq<one<'{'>, star<not_one<'}', ' ', '\t', '\r', '\n'>>, one<'}'>>,
                           not_one<' ', '\t', '\r', '\n', '"', '#', '{', '}'>> {};
// template_char <- '{' [^}\s]* '}' / [^\s"#{}]
struct path_template : plus<template_char> {};  // path_template <- template_char+
struct description : quoted_string {};          // description <- quoted_string
struct condition : kw_when {};                  // condition <- kw_when
struct route_line : seq<not_at<keyword>, method, skip, must<path_template>, opt<skip, description>,
                        opt<skip, condition>> {};
// route_line <- !keyword method skip ^path_template (skip description)? (skip condition)?

// ---------------------------------------------------------------- scopes -----------

struct scope_kind : sor<kw_future, kw_user> {};  // scope_kind <- kw_future / kw_user
struct scope_head : sor<seq<scope_kind, skip, must<kw_scope>>, kw_scope> {};
// scope_head <- scope_kind skip ^kw_scope / kw_scope
struct scope_name : name {};                       // scope_name <- name
struct scope_ref : seq<not_at<keyword>, name> {};  // scope_ref <- !keyword name
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
struct scope_item : sor<summary_item, note_item, use_case_item, implies_item, route_line> {};
// scope_item <- summary_item / note_item / use_case_item / implies_item / route_line
struct scope_decl : seq<scope_head, skip, must<scope_name>, skip, must<open_brace>, skip,
                        star<scope_item, skip>, must<close_brace>> {};
// scope_decl <- scope_head skip ^scope_name skip ^open_brace skip (scope_item skip)*
//               ^close_brace

// ---------------------------------------------------------------- access blocks ----

struct public_block
    : seq<kw_public, skip, must<open_brace>, skip, star<route_line, skip>, must<close_brace>> {};
// public_block <- kw_public skip ^open_brace skip (route_line skip)* ^close_brace
struct authenticated_block : seq<kw_authenticated, skip, must<open_brace>, skip,
                                 star<route_line, skip>, must<close_brace>> {};
// authenticated_block <- kw_authenticated skip ^open_brace skip (route_line skip)*
//                        ^close_brace

// ---------------------------------------------------------------- roles ------------

struct role_name : name {};                               // role_name <- name
struct all_scopes : seq<one<'*'>, not_at<name_char>> {};  // all_scopes <- '*' !name_char
struct scope_list : sor<all_scopes, seq<scope_ref, star<skip, scope_ref>>> {};
// scope_list <- all_scopes / scope_ref (skip scope_ref)*
struct scopes_item : seq<kw_scopes, skip, must<scope_list>> {};
// scopes_item <- kw_scopes skip ^scope_list
struct role_item : sor<summary_item, scopes_item> {};  // role_item <- summary_item / scopes_item
struct role_decl : seq<kw_role, skip, must<role_name>, skip, must<open_brace>, skip,
                       star<role_item, skip>, must<close_brace>> {};
// role_decl <- kw_role skip ^role_name skip ^open_brace skip (role_item skip)* ^close_brace

// ---------------------------------------------------------------- file -------------

struct reserved_decl : kw_forbid {};  // reserved_decl <- kw_forbid
struct declaration : sor<scope_decl, public_block, authenticated_block, role_decl, reserved_decl> {
};
// declaration <- scope_decl / public_block / authenticated_block / role_decl / reserved_decl
struct policy
    : seq<opt<bom>, skip, star<not_at<end_of_file>, must<declaration>, skip>, end_of_file> {};
// policy <- bom? skip (!end_of_file ^declaration skip)* end_of_file

}  // namespace scopegate::grammar
