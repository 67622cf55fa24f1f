// The formatter: parse, collect the comments the syntax tree does not keep (by a scan
// of the text that knows strings and comments), attach each to an item of the tree,
// and print the tree in the canonical layout. Every item of the output has an anchor
// (its byte range in the input), so comments find their place the same way on the
// formatted text as on the original: that is what makes the layout idempotent.
#include "scopegate/dsl/format.hpp"

#include "condition_printer.hpp"
#include "node_kinds.hpp"
#include "read_file.hpp"
#include "scope_names.hpp"
#include "source_scan.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <variant>

#include "scopegate/dsl/parse.hpp"

namespace scopegate {

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- comments ---------

struct Comment {
  std::size_t offset = 0;
  std::string text;          // from `#`, without trailing white space
  bool blank_after = false;  // a blank line follows it in the input
};

// Every `#` comment outside string literals. Names and templates cannot hold `"` or
// `#`, so a `"` outside a comment always opens a string and a `#` outside a string
// always opens a comment.
std::vector<Comment> scan_comments(std::string_view text) {
  std::vector<Comment> comments;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\n') {
        i += text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n' ? 2 : 1;
      }
      if (i < text.size() && text[i] == '"') ++i;
      continue;
    }
    if (c != '#') {
      ++i;
      continue;
    }
    std::size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::size_t last = end;
    while (last > i && parsing::is_space(text[last - 1])) --last;
    Comment comment{i, std::string(text.substr(i, last - i)), false};
    std::size_t newlines = 0;
    std::size_t next = end;
    while (next < text.size() && parsing::is_space(text[next])) newlines += text[next++] == '\n';
    comment.blank_after = newlines >= 2 && next < text.size();
    comments.push_back(std::move(comment));
    i = end;
  }
  return comments;
}

// ---------------------------------------------------------------- items ------------

// One thing the output prints on its own line(s), with the comments attached to it.
struct Item {
  std::size_t start = 0;  // anchor: the item's bytes in the input
  std::size_t end = 0;
  std::vector<const Comment*> leading;   // own-line comments before it
  std::vector<const Comment*> interior;  // comments between its first and last byte
  const Comment* trailing = nullptr;     // on its last line, after it
  bool blank_before = false;             // the input has a blank line before it
};

struct ScopeItems {
  const ast::ScopeDecl* decl = nullptr;
  Item header;
  std::vector<std::pair<const ast::Metadata*, Item>> metadata;  // canonical order
  std::vector<Item> implies;                                    // one per name
  std::vector<Item> acknowledgements;
  std::vector<Item> routes;
  Item close;
};

struct AccessItems {
  const ast::AccessBlock* decl = nullptr;
  Item header;
  std::vector<Item> acknowledgements;
  std::vector<Item> routes;
  Item close;
};

struct RoleItems {
  const ast::RoleDecl* decl = nullptr;
  Item header;
  std::vector<Item> summaries;
  std::vector<Item> scopes;  // `*` first when there is one, then one per name
  std::vector<Item> acknowledgements;
  Item close;
};

struct ForbidItems {
  const ast::ForbidDecl* decl = nullptr;
  Item header;
  std::vector<Item> messages;
  std::vector<Item> acknowledgements;
  Item close;
};

using BlockItems = std::variant<ScopeItems, AccessItems, RoleItems, ForbidItems>;

std::size_t end_of(ast::Range range) { return range.offset + range.length; }

std::size_t route_end(const ast::Route& route) {
  std::size_t end = end_of(route.path_template.range);
  if (route.description) end = std::max(end, end_of(route.description->range));
  if (route.condition) end = std::max(end, end_of(route.condition->range));
  return end;
}

Item anchored_item(std::size_t start, std::size_t end) {
  Item item;
  item.start = start;
  item.end = end;
  return item;
}

// One item per `allow_warning` line; `last` moves past them.
std::vector<Item> acknowledgement_items(const std::vector<ast::Acknowledgement>& list,
                                        std::size_t& last) {
  std::vector<Item> items;
  for (const ast::Acknowledgement& acknowledgement : list) {
    items.push_back(
        anchored_item(acknowledgement.keyword.offset, end_of(acknowledgement.reason.range)));
    last = std::max(last, end_of(acknowledgement.reason.range));
  }
  return items;
}

class Formatter {
 public:
  Formatter(std::string_view text, const ast::File& file)
      : m_text(text), m_file(file), m_comments(scan_comments(text)) {}

  std::string run() {
    build_blocks();
    attach_comments();
    print_file();
    return std::move(m_out);
  }

 private:
  // -------------------------------------------------------------- building --------

  // Past white space and comments from `offset`.
  std::size_t skip_blank(std::size_t offset) const {
    for (;;) {
      while (offset < m_text.size() && parsing::is_space(m_text[offset])) ++offset;
      if (offset >= m_text.size() || m_text[offset] != '#') return offset;
      while (offset < m_text.size() && m_text[offset] != '\n') ++offset;
    }
  }

  // The `}` that closes a block whose last item ends at `last_end`.
  Item close_after(std::size_t last_end) const {
    const std::size_t at = skip_blank(last_end);
    return anchored_item(at, std::min(at + 1, m_text.size()));
  }

  void build_blocks() {
    for (const ast::Declaration& declaration : m_file.declarations) {
      std::visit([this](const auto& decl) { m_blocks.push_back(build(decl)); }, declaration);
    }
  }

  BlockItems build(const ast::ScopeDecl& decl) {
    ScopeItems items;
    items.decl = &decl;
    items.header = anchored_item(decl.head.offset, end_of(decl.open_brace));
    std::size_t last = items.header.end;
    for (const auto* group : {&decl.summaries, &decl.notes, &decl.use_cases}) {
      for (const ast::Metadata& metadata : *group) {
        items.metadata.emplace_back(
            &metadata, anchored_item(metadata.keyword.offset, end_of(metadata.text.range)));
        last = std::max(last, end_of(metadata.text.range));
      }
    }
    for (const ast::Word& name : decl.implies) {
      items.implies.push_back(anchored_item(name.range.offset, end_of(name.range)));
      last = std::max(last, end_of(name.range));
    }
    items.acknowledgements = acknowledgement_items(decl.acknowledgements, last);
    for (const ast::Route& route : decl.routes) {
      items.routes.push_back(anchored_item(route.method.range.offset, route_end(route)));
      last = std::max(last, route_end(route));
    }
    items.close = close_after(last);
    return items;
  }

  BlockItems build(const ast::AccessBlock& decl) {
    AccessItems items;
    items.decl = &decl;
    items.header = anchored_item(decl.keyword.offset, end_of(decl.open_brace));
    std::size_t last = items.header.end;
    items.acknowledgements = acknowledgement_items(decl.acknowledgements, last);
    for (const ast::Route& route : decl.routes) {
      items.routes.push_back(anchored_item(route.method.range.offset, route_end(route)));
      last = std::max(last, route_end(route));
    }
    items.close = close_after(last);
    return items;
  }

  BlockItems build(const ast::RoleDecl& decl) {
    RoleItems items;
    items.decl = &decl;
    // The tree keeps no range for `role`: it is the last such word before the name.
    const std::size_t keyword = m_text.rfind("role", decl.name.range.offset);
    items.header =
        anchored_item(keyword == std::string_view::npos ? decl.name.range.offset : keyword,
                      end_of(decl.open_brace));
    std::size_t last = items.header.end;
    for (const ast::Metadata& metadata : decl.summaries) {
      items.summaries.push_back(
          anchored_item(metadata.keyword.offset, end_of(metadata.text.range)));
      last = std::max(last, end_of(metadata.text.range));
    }
    if (decl.all_scopes) {
      items.scopes.push_back(
          anchored_item(decl.all_scopes_range.offset, end_of(decl.all_scopes_range)));
      last = std::max(last, end_of(decl.all_scopes_range));
    }
    for (const ast::Word& name : decl.scopes) {
      items.scopes.push_back(anchored_item(name.range.offset, end_of(name.range)));
      last = std::max(last, end_of(name.range));
    }
    items.acknowledgements = acknowledgement_items(decl.acknowledgements, last);
    items.close = close_after(last);
    return items;
  }

  BlockItems build(const ast::ForbidDecl& decl) {
    ForbidItems items;
    items.decl = &decl;
    items.header = anchored_item(decl.keyword.offset, end_of(decl.open_brace));
    std::size_t last = items.header.end;
    for (const ast::Metadata& metadata : decl.messages) {
      items.messages.push_back(anchored_item(metadata.keyword.offset, end_of(metadata.text.range)));
      last = std::max(last, end_of(metadata.text.range));
    }
    items.acknowledgements = acknowledgement_items(decl.acknowledgements, last);
    items.close = close_after(last);
    return items;
  }

  // -------------------------------------------------------------- comments --------

  std::vector<Item*> all_items() {
    std::vector<Item*> items;
    const auto add_all = [&items](std::vector<Item>& list) {
      for (Item& item : list) items.push_back(&item);
    };
    for (BlockItems& block : m_blocks) {
      std::visit(
          [&](auto& b) {
            using T = std::decay_t<decltype(b)>;
            items.push_back(&b.header);
            if constexpr (std::is_same_v<T, ScopeItems>) {
              for (auto& [metadata, item] : b.metadata) items.push_back(&item);
              add_all(b.implies);
              add_all(b.acknowledgements);
              add_all(b.routes);
            } else if constexpr (std::is_same_v<T, AccessItems>) {
              add_all(b.acknowledgements);
              add_all(b.routes);
            } else if constexpr (std::is_same_v<T, RoleItems>) {
              add_all(b.summaries);
              add_all(b.scopes);
              add_all(b.acknowledgements);
            } else {
              add_all(b.messages);
              add_all(b.acknowledgements);
            }
            items.push_back(&b.close);
          },
          block);
    }
    std::sort(items.begin(), items.end(),
              [](const Item* a, const Item* b) { return a->start < b->start; });
    return items;
  }

  bool has_newline(std::size_t from, std::size_t to) const {
    return m_text.substr(from, to - from).find('\n') != std::string_view::npos;
  }

  // Whether a blank line comes just before `offset` (only white space in between).
  bool blank_line_before(std::size_t offset) const {
    std::size_t newlines = 0;
    while (offset > 0 && parsing::is_space(m_text[offset - 1]))
      newlines += m_text[--offset] == '\n';
    return newlines >= 2 && offset > 0;
  }

  void attach_comments() {
    const std::vector<Item*> items = all_items();
    for (const Comment& comment : m_comments) {
      const std::size_t at = comment.offset;
      // The first item starting after the comment; the one before it may contain it.
      const auto next = std::upper_bound(items.begin(), items.end(), at,
                                         [](std::size_t o, const Item* i) { return o < i->start; });
      Item* previous = next == items.begin() ? nullptr : *(next - 1);
      if (previous != nullptr && at < previous->end) {
        previous->interior.push_back(&comment);
      } else if (previous != nullptr && previous->trailing == nullptr &&
                 !has_newline(previous->end, at)) {
        previous->trailing = &comment;
      } else if (next != items.end()) {
        (*next)->leading.push_back(&comment);
      } else {
        m_end_comments.push_back(&comment);
      }
    }
    for (Item* item : items) {
      const std::size_t first = item->leading.empty() ? item->start : item->leading[0]->offset;
      item->blank_before = blank_line_before(first);
    }
  }

  // -------------------------------------------------------------- printing --------

  void line(std::size_t indent, std::string_view content, const Comment* trailing) {
    m_out.append(indent, ' ');
    m_out += content;
    if (trailing != nullptr) {
      m_out += "  ";
      m_out += trailing->text;
    }
    m_out.push_back('\n');
  }

  void comment_lines(std::size_t indent, const std::vector<const Comment*>& comments) {
    for (const Comment* comment : comments) {
      line(indent, comment->text, nullptr);
      if (comment->blank_after) m_out.push_back('\n');
    }
  }

  // The item's own comments before it: its leading ones, then those from inside it
  // that `placed` did not put on one of its lines.
  void leading_lines(std::size_t indent, const Item& item,
                     const std::vector<const Comment*>& unplaced) {
    comment_lines(indent, item.leading);
    for (const Comment* comment : unplaced) line(indent, comment->text, nullptr);
  }

  // Prints `prefix` + `when CONDITION` + `suffix` starting at column `indent`: on one
  // line when it fits, else broken before each top-level `and`/`or`, the operator
  // right-aligned under `when`. Comments from inside the condition end the line of the
  // operand they follow.
  void condition_lines(std::size_t indent, const std::string& prefix,
                       const ast::Condition& condition, std::string_view suffix, const Item& item) {
    const ConditionPrinter printer(condition);
    const std::string whole = printer.print(condition.root, 0);
    const ast::Expression& root = condition.nodes[condition.root];
    const bool chain = root.kind == ExpressionKind::and_ || root.kind == ExpressionKind::or_;
    if (!chain || indent + prefix.size() + 5 + whole.size() + suffix.size() <= format_line_width) {
      leading_lines(indent, item, item.interior);
      line(indent, prefix + "when " + whole + std::string(suffix), item.trailing);
      return;
    }
    const bool is_and = root.kind == ExpressionKind::and_;
    const std::size_t operands = root.operands.size();
    std::vector<const Comment*> on_line(operands, nullptr);
    std::vector<const Comment*> unplaced;
    for (const Comment* comment : item.interior) {
      std::size_t index = 0;
      while (index + 1 < operands &&
             condition.nodes[root.operands[index + 1]].range.offset <= comment->offset) {
        ++index;
      }
      if (on_line[index] == nullptr && !(index + 1 == operands && item.trailing != nullptr)) {
        on_line[index] = comment;
      } else {
        unplaced.push_back(comment);
      }
    }
    if (on_line[operands - 1] == nullptr) on_line[operands - 1] = item.trailing;
    leading_lines(indent, item, unplaced);
    const std::string word = is_and ? "and " : "or ";
    const std::size_t when_end = indent + prefix.size() + 4;  // the column after `when`
    for (std::size_t i = 0; i < operands; ++i) {
      const std::string operand = printer.print(root.operands[i], is_and ? 2 : 1);
      if (i == 0) {
        line(indent, prefix + "when " + operand, on_line[i]);
        continue;
      }
      const std::string tail = i + 1 == operands ? std::string(suffix) : std::string();
      line(when_end - (word.size() - 1), word + operand + tail, on_line[i]);
    }
  }

  // An item without a condition: its comments before it, then its one line.
  void simple_item(std::size_t indent, const Item& item, const std::string& content) {
    leading_lines(indent, item, item.interior);
    line(indent, content, item.trailing);
  }

  // `KEYWORD name name ...` lines of at most format_line_width columns.
  void word_lines(std::size_t indent, std::string_view keyword,
                  const std::vector<std::string>& words, const std::vector<Item>& items) {
    std::vector<const Comment*> before;
    const Comment* last_trailing = nullptr;
    for (std::size_t i = 0; i < items.size(); ++i) {
      before.insert(before.end(), items[i].leading.begin(), items[i].leading.end());
      before.insert(before.end(), items[i].interior.begin(), items[i].interior.end());
      if (items[i].trailing == nullptr) continue;
      if (i + 1 == items.size()) {
        last_trailing = items[i].trailing;
      } else {
        before.push_back(items[i].trailing);
      }
    }
    std::sort(before.begin(), before.end(),
              [](const Comment* a, const Comment* b) { return a->offset < b->offset; });
    comment_lines(indent, before);
    std::string current(keyword);
    std::size_t in_line = 0;
    for (const std::string& word : words) {
      // `*` ends a `scopes` line: names after it need a line of their own.
      const bool after_star = in_line > 0 && current.ends_with(" *");
      if (after_star ||
          (in_line > 0 && indent + current.size() + 1 + word.size() > format_line_width)) {
        line(indent, current, nullptr);
        current = std::string(keyword);
        in_line = 0;
      }
      current += " " + word;
      ++in_line;
    }
    line(indent, current, last_trailing);
  }

  void close_block(const Item& close) {
    comment_lines(2, close.leading);
    for (const Comment* comment : close.interior) line(2, comment->text, nullptr);
    line(0, "}", close.trailing);
  }

  void routes(const std::vector<ast::Route>& routes, const std::vector<Item>& items) {
    std::size_t method_width = 0;
    std::size_t template_width = 0;
    std::size_t description_width = 0;  // of the routes with a condition
    std::vector<std::string> descriptions;
    for (const ast::Route& route : routes) {
      method_width = std::max(method_width, route.method.text.size());
      template_width = std::max(template_width, route.path_template.text.size());
      descriptions.push_back(route.description ? quote(route.description->value) : "");
      if (route.condition)
        description_width = std::max(description_width, descriptions.back().size());
    }
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const ast::Route& route = routes[i];
      if (i > 0 && items[i].blank_before) m_out.push_back('\n');
      std::string text = route.method.text;
      text.append(method_width - route.method.text.size() + 1, ' ');
      text += route.path_template.text;
      const bool more = route.description || route.condition;
      if (more) text.append(template_width - route.path_template.text.size() + 2, ' ');
      text += descriptions[i];
      if (!route.condition) {
        simple_item(2, items[i], text);
        continue;
      }
      if (description_width > 0) text.append(description_width - descriptions[i].size() + 2, ' ');
      condition_lines(2, text, *route.condition, "", items[i]);
    }
  }

  void acknowledgements(const std::vector<ast::Acknowledgement>& list,
                        const std::vector<Item>& items) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      simple_item(2, items[i],
                  "allow_warning " + list[i].code.text + " " + quote(list[i].reason.value));
    }
  }

  void print(const ScopeItems& b) {
    const ast::ScopeDecl& decl = *b.decl;
    std::string head = decl.kind == ScopeKind::future ? "future scope "
                       : decl.kind == ScopeKind::user ? "user scope "
                                                      : "scope ";
    head += written_scope_name(decl.name.text);
    if (decl.condition) {
      condition_lines(0, head + " ", *decl.condition, " {", b.header);
    } else {
      simple_item(0, b.header, head + " {");
    }
    for (const auto& [metadata, item] : b.metadata) {
      const std::string_view keyword =
          m_text.substr(metadata->keyword.offset, metadata->keyword.length);
      simple_item(2, item, std::string(keyword) + " " + quote(metadata->text.value));
    }
    if (!b.implies.empty()) {
      std::vector<std::string> names;
      for (const ast::Word& name : decl.implies) {
        names.push_back(written_scope_name(name.text));
      }
      word_lines(2, "implies", names, b.implies);
    }
    acknowledgements(decl.acknowledgements, b.acknowledgements);
    if (!decl.routes.empty() &&
        (!b.metadata.empty() || !b.implies.empty() || !b.acknowledgements.empty())) {
      m_out.push_back('\n');
    }
    routes(decl.routes, b.routes);
    close_block(b.close);
  }

  void print(const AccessItems& b) {
    simple_item(0, b.header, b.decl->access == Access::public_ ? "public {" : "authenticated {");
    acknowledgements(b.decl->acknowledgements, b.acknowledgements);
    if (!b.decl->routes.empty() && !b.acknowledgements.empty()) m_out.push_back('\n');
    routes(b.decl->routes, b.routes);
    close_block(b.close);
  }

  void print(const RoleItems& b) {
    simple_item(0, b.header, "role " + b.decl->name.text + " {");
    for (std::size_t i = 0; i < b.summaries.size(); ++i) {
      simple_item(2, b.summaries[i], "summary " + quote(b.decl->summaries[i].text.value));
    }
    if (!b.scopes.empty()) {
      std::vector<std::string> names;
      if (b.decl->all_scopes) names.emplace_back("*");
      for (const ast::Word& name : b.decl->scopes) {
        names.push_back(written_scope_name(name.text));
      }
      word_lines(2, "scopes", names, b.scopes);
    }
    acknowledgements(b.decl->acknowledgements, b.acknowledgements);
    close_block(b.close);
  }

  void print(const ForbidItems& b) {
    const ast::ForbidDecl& decl = *b.decl;
    const std::string head = "forbid " + decl.method.text + " " + decl.path_template.text + " ";
    if (decl.condition) {
      condition_lines(0, head, *decl.condition, " {", b.header);
    } else {
      simple_item(0, b.header, head + "{");
    }
    for (std::size_t i = 0; i < b.messages.size(); ++i) {
      simple_item(2, b.messages[i], "message " + quote(decl.messages[i].text.value));
    }
    acknowledgements(decl.acknowledgements, b.acknowledgements);
    close_block(b.close);
  }

  void print_file() {
    for (std::size_t i = 0; i < m_blocks.size(); ++i) {
      if (i > 0) m_out.push_back('\n');
      std::visit([this](const auto& block) { print(block); }, m_blocks[i]);
    }
    if (!m_end_comments.empty()) {
      if (!m_blocks.empty() && blank_line_before(m_end_comments[0]->offset)) m_out.push_back('\n');
      comment_lines(0, m_end_comments);
      while (m_out.size() >= 2 && m_out.ends_with("\n\n")) m_out.pop_back();
    }
  }

  std::string_view m_text;
  const ast::File& m_file;
  std::vector<Comment> m_comments;
  std::vector<BlockItems> m_blocks;
  std::vector<const Comment*> m_end_comments;
  std::string m_out;
};

}  // namespace

Result<std::string, Diagnostics> format_source(std::string_view file_name, std::string_view text) {
  auto source = std::make_shared<SourceFile>(SourceFile{std::string(file_name), std::string(text)});
  ParseResult parsed = parse(source);
  if (!parsed.diagnostics.empty()) return unexpected(std::move(parsed.diagnostics));
  return Formatter(source->text, parsed.file).run();
}

std::vector<fs::path> policy_files(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const ExpandedPath& entry : expand_paths(paths, ".policy")) {
    // A path that is not there is returned as given: reading it reports why.
    if (entry.problem == ExpandedPath::Problem::missing) files.push_back(entry.given);
    files.insert(files.end(), entry.files.begin(), entry.files.end());
  }
  return files;
}

}  // namespace scopegate
