#include "template_overlap.hpp"

#include <algorithm>
#include <set>

namespace scopegate {

bool overlap(const Template& a, const Template& b) {
  const std::size_t n = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Segment& x = a.segments[i];
    const Segment& y = b.segments[i];
    if (x.kind == SegmentKind::rest || y.kind == SegmentKind::rest) return true;
    if (x.kind == SegmentKind::literal && y.kind == SegmentKind::literal && x.text != y.text) {
      return false;
    }
  }
  const auto rest_at = [](const Template& t, std::size_t i) {
    return i < t.segments.size() && t.segments[i].kind == SegmentKind::rest;
  };
  return a.segments.size() == b.segments.size() || rest_at(a, n) || rest_at(b, n);
}

TemplateTrie::TemplateTrie(const std::vector<Template>& templates) : m_nodes(1) {
  for (std::size_t i = 0; i < templates.size(); ++i) {
    std::uint32_t node = 0;
    bool rest = false;
    for (const Segment& segment : templates[i].segments) {
      if (segment.kind == SegmentKind::rest) {
        rest = true;
        break;
      }
      node = child(node, segment);
    }
    (rest ? m_nodes[node].rests : m_nodes[node].ends).push_back(static_cast<std::uint32_t>(i));
  }
}

std::uint32_t TemplateTrie::child(std::uint32_t node, const Segment& segment) {
  const auto next = static_cast<std::uint32_t>(m_nodes.size());
  if (segment.kind == SegmentKind::literal) {
    const auto [at, added] = m_nodes[node].literals.try_emplace(segment.text, next);
    const std::uint32_t found = at->second;
    if (added) m_nodes.emplace_back();
    return found;
  }
  if (m_nodes[node].single == none) {
    m_nodes[node].single = next;
    m_nodes.emplace_back();
  }
  return m_nodes[node].single;
}

void TemplateTrie::walk(std::uint32_t node, std::size_t i, const Template& t,
                        std::vector<std::uint32_t>& out) const {
  const Node& n = m_nodes[node];
  if (i < t.segments.size() && t.segments[i].kind == SegmentKind::rest) {
    subtree(node, out);
    return;
  }
  out.insert(out.end(), n.rests.begin(), n.rests.end());
  if (i == t.segments.size()) {
    out.insert(out.end(), n.ends.begin(), n.ends.end());
    return;
  }
  const Segment& segment = t.segments[i];
  if (segment.kind == SegmentKind::literal) {
    const auto found = n.literals.find(segment.text);
    if (found != n.literals.end()) walk(found->second, i + 1, t, out);
  } else {
    for (const auto& [text, next] : n.literals) walk(next, i + 1, t, out);
  }
  if (n.single != none) walk(n.single, i + 1, t, out);
}

void TemplateTrie::subtree(std::uint32_t node, std::vector<std::uint32_t>& out) const {
  const Node& n = m_nodes[node];
  out.insert(out.end(), n.ends.begin(), n.ends.end());
  out.insert(out.end(), n.rests.begin(), n.rests.end());
  for (const auto& [text, next] : n.literals) subtree(next, out);
  if (n.single != none) subtree(n.single, out);
}

std::string example_path(const Template& a, const Template& b, std::string_view placeholder) {
  std::string path;
  const auto add = [&](std::string_view text) {
    path += '/';
    path += text;
  };
  const auto add_rest = [&](const Template& t, std::size_t from) {
    for (std::size_t i = from; i < t.segments.size(); ++i) {
      const Segment& segment = t.segments[i];
      if (segment.kind == SegmentKind::rest) return;
      add(segment.kind == SegmentKind::literal ? std::string_view(segment.text) : placeholder);
    }
  };
  for (std::size_t i = 0;; ++i) {
    const Segment* x = i < a.segments.size() ? &a.segments[i] : nullptr;
    const Segment* y = i < b.segments.size() ? &b.segments[i] : nullptr;
    if (x == nullptr || x->kind == SegmentKind::rest) {
      add_rest(b, i);
      break;
    }
    if (y == nullptr || y->kind == SegmentKind::rest) {
      add_rest(a, i);
      break;
    }
    add(x->kind == SegmentKind::literal   ? std::string_view(x->text)
        : y->kind == SegmentKind::literal ? std::string_view(y->text)
                                          : placeholder);
  }
  return path.empty() ? "/" : path;
}

std::string unused_literal(const std::vector<Template>& parsed) {
  std::set<std::string_view> literals;
  for (const Template& t : parsed) {
    for (const Segment& segment : t.segments) {
      if (segment.kind == SegmentKind::literal) literals.insert(segment.text);
    }
  }
  std::string out = "1";
  for (int n = 2; literals.count(out) != 0; ++n) out = std::to_string(n);
  return out;
}

bool crosses(const Template& lost, const Template& won) {
  for (std::size_t i = 0; i < lost.segments.size() && i < won.segments.size(); ++i) {
    const SegmentKind kind = won.segments[i].kind;
    if (kind == SegmentKind::rest) {
      return std::any_of(lost.segments.begin() + static_cast<long>(i), lost.segments.end(),
                         [](const Segment& s) { return s.kind == SegmentKind::literal; });
    }
    if (kind != SegmentKind::literal && lost.segments[i].kind == SegmentKind::literal) {
      return true;
    }
  }
  return false;
}

}  // namespace scopegate
