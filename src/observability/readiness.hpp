// Readiness: named checks registered at start-up by the parts that can make the server
// unready (index not loaded, upstream circuit open, Redis down, shedding load). /readyz
// reports them all.
//
// Thread-safety: add() during start-up; evaluate() from any thread (checks must be safe to
// call concurrently: they read atomics or snapshots).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rag::observability {

class Readiness {
 public:
  // `check` returns nullopt when fine, else the reason ("index not loaded", ...). `detail`
  // (optional) describes the part when fine ("lexical only", "closed").
  struct Check {
    std::string name;
    std::function<std::optional<std::string>()> problem;
    std::function<std::string()> detail;
  };

  void add(Check check) { checks_.push_back(std::move(check)); }

  struct Report {
    bool ready = true;
    std::vector<std::pair<std::string, std::string>> checks;  // name → "ok ..." or reason
    std::vector<std::string> reasons;
  };
  Report evaluate() const {
    Report report;
    for (const auto& check : checks_) {
      if (auto problem = check.problem()) {
        report.ready = false;
        report.reasons.push_back(check.name + ": " + *problem);
        report.checks.emplace_back(check.name, *problem);
      } else {
        report.checks.emplace_back(check.name, check.detail ? check.detail() : "ok");
      }
    }
    return report;
  }

 private:
  std::vector<Check> checks_;
};

}  // namespace rag::observability
