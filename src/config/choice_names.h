// The YAML names of the config's choices (common/choices.h), one table per choice: config.cpp
// decodes and writes the choices with it, and a tool that prints a choice takes the name from here.
#pragma once

#include <stdexcept>
#include <tuple>
#include <vector>

#include "common/choices.h"

namespace gat::config {

template <class Choice>
struct ChoiceName {
  Choice value;
  const char* name;
};

template <class Choice>
using ChoiceTable = std::vector<ChoiceName<Choice>>;

// Every choice's table: each value with its name, in the order error messages list them.
using ChoiceTables =
    std::tuple<ChoiceTable<AttentionImpl>, ChoiceTable<Normalization>, ChoiceTable<DeviceChoice>,
               ChoiceTable<Precision>, ChoiceTable<OnNonfinite>, ChoiceTable<ResumeMode>, ChoiceTable<Backend>,
               ChoiceTable<Shares>, ChoiceTable<LoadMode>, ChoiceTable<StoppingRule>>;
const ChoiceTables& choice_tables();

// The table of `Choice`.
template <class Choice>
const ChoiceTable<Choice>& choice_names() {
  return std::get<ChoiceTable<Choice>>(choice_tables());
}

// The name of `choice` ("fused" for AttentionImpl::kFused).
template <class Choice>
const char* name_of(Choice choice) {
  for (const auto& entry : choice_names<Choice>())
    if (entry.value == choice) return entry.name;
  throw std::logic_error("a choice missing from its table in config/choice_names.cpp");
}

}  // namespace gat::config
