#include "browser_choice.h"

namespace quarry::cli {

BrowserChoice ChooseBrowser(const BrowserChoiceInput& in) {
  BrowserChoice choice;
  if (!in.explicit_endpoint.empty()) {
    choice.ws_endpoint = in.explicit_endpoint;
    choice.explicit_endpoint = true;
    return choice;
  }
  // §10.1 step 2, the reusable browser server, is added with browser reuse (issue 10 item 2).
  return choice;
}

}  // namespace quarry::cli
