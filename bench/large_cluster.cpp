// large_cluster N: the large-cluster workload (bench/large_cluster.hpp) as
// a scenario file on stdout.
#include <iostream>
#include <string>

#include "bench/large_cluster.hpp"
#include "model/scenario_json.hpp"

int main(int argc, char** argv) {
  int n = 0;
  try {
    n = argc == 2 ? std::stoi(argv[1]) : 0;
  } catch (...) {
  }
  if (n < 4 || n > 100000) {
    std::cerr << "usage: large_cluster N   (4 to 100000 nodes)\n";
    return 1;
  }
  std::cout << swarmplan::model::ScenarioToJson(swarmplan::bench::LargeCluster(n)).dump(1) << "\n";
  return 0;
}
