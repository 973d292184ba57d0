// libFuzzer target: the config loader on arbitrary YAML text and --set overrides.
// Input: YAML text, then optionally overrides, each after a NUL byte (the seeds, plain config
// files, have none). Accepted configs must print (to_yaml) as YAML that parses back to the same
// config: that is what run directories' config.yaml and checkpoints rely on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t end = input.find('\0');
  const std::string yaml = input.substr(0, end);
  std::vector<std::string> overrides;
  for (std::size_t at = end; at != std::string::npos && at < input.size();) {
    const std::size_t next = input.find('\0', at + 1);
    overrides.push_back(input.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    at = next;
  }
  gat::config::Config config;
  // --set errors name the override, not the file.
  const std::string source = overrides.empty() ? "fuzz.yaml" : "";
  if (!gat::fuzz::accepted(source, [&] { config = gat::config::parse_config(yaml, "fuzz.yaml", overrides); })) return 0;
  const std::string printed = gat::config::to_yaml(config);
  gat::config::Config again;
  gat::fuzz::expect(gat::fuzz::accepted("", [&] { again = gat::config::parse_config(printed, "printed.yaml"); }),
                    "to_yaml printed a config that does not parse:\n" + printed);
  gat::fuzz::expect(gat::config::to_yaml(again) == printed, "to_yaml does not read back the same:\n" + printed);
  return 0;
}
