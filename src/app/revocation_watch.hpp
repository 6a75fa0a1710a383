#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>

#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::app {

namespace asio = boost::asio;

// Polls the store every `period` for app passwords revoked by another process and publishes
// them on `hub`, so that live sessions using them end.
void start_revocation_watch(asio::io_context& io, store::Store& store, store::ChangeHub& hub,
                            std::chrono::milliseconds period = std::chrono::seconds(2));

}  // namespace tegami::app
